"""Domain steps of the deploy-model state machine: one function per Lambda step."""

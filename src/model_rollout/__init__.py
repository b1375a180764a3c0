"""model_rollout: the domain of the deploy-model control plane and its AWS adapters."""

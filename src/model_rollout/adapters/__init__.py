"""AWS adapters: each takes its boto3 client through the constructor (lazy default)."""

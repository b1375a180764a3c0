"""The `rollout` command: operators' CLI and the embedded local stack."""

import typer

app = typer.Typer(help="model-rollout: approvals in the Model Registry become safe deployments.")

if __name__ == "__main__":
    app()

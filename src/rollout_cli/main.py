"""The `rollout` command: operators' CLI and the embedded local stack."""

import typer

from rollout_cli import demo, local

app = typer.Typer(help="model-rollout: approvals in the Model Registry become safe deployments.")
app.add_typer(local.app, name="local")
app.command("demo")(demo.demo)

if __name__ == "__main__":
    app()

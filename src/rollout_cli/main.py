"""The `rollout` command: operators' CLI and the embedded local stack."""

import typer

from rollout_cli import commands, demo, demo_stages, demo_strategies, local

app = typer.Typer(help="model-rollout: approvals in the Model Registry become safe deployments.")
app.add_typer(local.app, name="local")
app.command("demo")(demo.demo)
app.command("demo-strategies")(demo_strategies.demo_strategies)
app.command("demo-stages")(demo_stages.demo_stages)
commands.register(app)  # deployments, show, watch, promote, abort, rollback, lineage, console, …

if __name__ == "__main__":
    app()

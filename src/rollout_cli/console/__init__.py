"""`rollout console`: a local web page of the deployments, their executions and endpoints.

``app.create_app`` is the Flask application (it reads through ``rollout_cli.views``, as the
other commands do, and decides through ``rollout_cli.steering``); ``graph`` lays out the
state machine from its ASL; ``templates/`` are the pages (Jinja, autoescaped; inline CSS,
JS and SVG, nothing fetched from elsewhere).
"""

"""The deploy-time half: wire an app's triggers to existing Cognito user pools.

Public API: :mod:`chalice_cognito.deploy.wiring` (the engine),
:mod:`.config` (the ``cognito`` config section), :mod:`.state` (the CLI's
ownership record).  This ``__init__`` imports nothing, so importing one module
of the package never drags in the others (or boto3).
"""

"""A local Cognito that fires a Chalice app's wired triggers on real cognito-idp calls.

:class:`~.local_cognito.LocalCognito` is the entry point (re-exported lazily
by :mod:`chalice_cognito.testing`).  One module per concern: :mod:`.runner`
(functions from the zip, warm), :mod:`.triggers` (Cognito's invocation rules
and errors), :mod:`.context` (pools, codes, messages), the flows
(:mod:`.signup`, :mod:`.auth`, :mod:`.passwords`), :mod:`.front` (the HTTP
endpoint) and :mod:`.moto_seam` (moto's in-process state).

Deploy-time package.
"""

"""Business logic of the "shop" example app (``app.py`` at the repository root).

Each module holds one use case of a Cognito trigger and knows nothing about
Chalice or event models, so it reads (and is tested) on its own; ``app.py``
only translates between the typed events and these functions.

* :mod:`chalicelib.signup_policy`  - email-domain allowlist, auto-confirm (PreSignUp)
* :mod:`chalicelib.customer_groups` - put confirmed users in a group (PostConfirmation)
* :mod:`chalicelib.suspension`     - block suspended accounts (PreAuthentication)
* :mod:`chalicelib.audit`          - structured sign-in audit log (PostAuthentication)
* :mod:`chalicelib.localized_messages` - verification/invitation texts per language
* :mod:`chalicelib.passwordless`   - email one-time-code custom auth flow
* :mod:`chalicelib.token_claims`   - claims and scopes added to tokens
* :mod:`chalicelib.legacy_users`   - the legacy user store migrated on first sign-in
* :mod:`chalicelib.federation_mapping` - IdP claims -> user pool attributes
* :mod:`chalicelib.delivery`       - pluggable email (SES) and SMS (SNS) delivery
* :mod:`chalicelib.aws_clients`    - lazily created boto3 clients
"""

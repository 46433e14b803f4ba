"""Infrastructure as code: Cognito wiring in ``chalice package`` output.

Deploy-time half.  ``chalice-cognito package`` runs Chalice's own packager and
then :func:`chalice_cognito.iac.package.add_cognito_to_package`, which adds to
the CloudFormation/SAM template or next to ``chalice.tf.json``:

* for a pool defined in the same template (or the user's Terraform): the
  pool's LambdaConfig entries and one scoped invoke permission per function;
* for an existing pool: a small attach Lambda (:mod:`.custom_resource`) that
  drives the wiring engine of :mod:`chalice_cognito.deploy`, as a
  CloudFormation custom resource or from Terraform.

Every LambdaConfig shape comes from :mod:`chalice_cognito.catalogue`.
"""

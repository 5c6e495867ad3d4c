"""Secrets Manager secrets: one rotated under a customer managed key with an
organization-only policy, one with the defaults and a public policy."""

import json


def seed(client, regions, account):
    for region in regions:
        sm = client("secretsmanager", region)
        key = client("kms", region).describe_key(KeyId="alias/good-key")["KeyMetadata"]["Arn"]
        good = sm.create_secret(Name="good-secret", SecretString="s3cr3t-value", KmsKeyId=key)["ARN"]
        sm.rotate_secret(SecretId=good, RotationRules={"AutomaticallyAfterDays": 30})
        sm.put_resource_policy(
            SecretId=good,
            ResourcePolicy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
                }],
            }),
        )
        # The AWS managed key, never rotated, readable by any AWS principal.
        bad = sm.create_secret(Name="bad-secret-public", SecretString="s3cr3t-value")["ARN"]
        sm.put_resource_policy(
            SecretId=bad,
            ResourcePolicy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": "*"},
                    "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                }],
            }),
        )

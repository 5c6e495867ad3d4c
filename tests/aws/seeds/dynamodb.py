"""DynamoDB tables: one hardened, one with every default and a public resource policy."""

import json


def seed(client, regions, account):
    for region in regions:
        ddb = client("dynamodb", region)
        kms = client("kms", region)
        # The rotated customer managed key the core seed creates.
        key = kms.describe_key(KeyId="alias/good-key")["KeyMetadata"]["Arn"]
        table = dict(
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        good = ddb.create_table(
            TableName="good-table",
            SSESpecification={"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key},
            DeletionProtectionEnabled=True,
            **table,
        )["TableDescription"]["TableArn"]
        ddb.update_continuous_backups(
            TableName="good-table",
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 35},
        )
        ddb.put_resource_policy(
            ResourceArn=good,
            Policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "dynamodb:GetItem",
                    "Resource": good,
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
                }],
            }),
        )
        # AWS owned key, no PITR, no deletion protection, readable by anyone.
        bad = ddb.create_table(TableName="bad-table-public", **table)["TableDescription"]["TableArn"]
        ddb.put_resource_policy(
            ResourceArn=bad,
            Policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "dynamodb:*", "Resource": bad}],
            }),
        )

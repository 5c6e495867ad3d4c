"""EFS: one file system failing every file system check and one passing them all, per region."""

import json


def seed(client, regions, account):
    for r in regions:
        efs = client("efs", r)
        # Unencrypted, no automatic backups, mountable and writable by anyone, no TLS.
        bad = efs.create_file_system(
            CreationToken="bad-efs",
            Encrypted=False,
            Backup=False,
            Tags=[{"Key": "Name", "Value": "bad-efs"}],
        )
        efs.put_file_system_policy(
            FileSystemId=bad["FileSystemId"],
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": ["elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite"],
                            "Resource": bad["FileSystemArn"],
                        }
                    ],
                }
            ),
        )
        key = client("kms", r).describe_key(KeyId="alias/good-key")["KeyMetadata"]["Arn"]
        good = efs.create_file_system(
            CreationToken="good-efs",
            Encrypted=True,
            KmsKeyId=key,
            Backup=True,
            Tags=[{"Key": "Name", "Value": "good-efs"}],
        )
        efs.put_file_system_policy(
            FileSystemId=good["FileSystemId"],
            Policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Deny",
                            "Principal": {"AWS": "*"},
                            "Action": "*",
                            "Resource": good["FileSystemArn"],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "*"},
                            "Action": ["elasticfilesystem:ClientMount"],
                            "Resource": good["FileSystemArn"],
                            "Condition": {"Bool": {"elasticfilesystem:AccessedViaMountTarget": "true"}},
                        },
                    ],
                }
            ),
        )

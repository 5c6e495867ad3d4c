"""ECR: one repository failing every repository check and one passing them all, per region."""

import json

LIFECYCLE = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "description": "Expire untagged images",
                "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 14},
                "action": {"type": "expire"},
            }
        ]
    }
)


def _policy(principal):
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "pull",
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                }
            ],
        }
    )


def seed(client, regions, account):
    for r in regions:
        ecr = client("ecr", r)
        # Mutable tags, no scanning, AES256, pullable by anyone, no lifecycle policy.
        ecr.create_repository(repositoryName="bad-repo")
        ecr.set_repository_policy(repositoryName="bad-repo", policyText=_policy({"AWS": "*"}))

        ecr.create_repository(
            repositoryName="good-repo",
            imageTagMutability="IMMUTABLE",
            imageScanningConfiguration={"scanOnPush": True},
            encryptionConfiguration={"encryptionType": "KMS"},
        )
        ecr.set_repository_policy(repositoryName="good-repo", policyText=_policy({"AWS": f"arn:aws:iam::{account}:root"}))
        ecr.put_lifecycle_policy(repositoryName="good-repo", lifecyclePolicyText=LIFECYCLE)

"""OpenSearch domains: one in a VPC with encryption, TLS 1.2, fine-grained access control
and audit and error logs; one with a public endpoint open to anyone and every default."""

import json


def seed(client, regions, account):
    for region in regions:
        ec2 = client("ec2", region)
        vpc = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["good-vpc"]}])["Vpcs"][0]["VpcId"]
        subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
        sg = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["good-sg-https"]}])[
            "SecurityGroups"][0]["GroupId"]
        key = client("kms", region).describe_key(KeyId="alias/good-key")["KeyMetadata"]["Arn"]
        os = client("opensearch", region)
        os.create_domain(
            DomainName="good-search",
            EngineVersion="OpenSearch_2.13",
            VPCOptions={"SubnetIds": [subnet], "SecurityGroupIds": [sg]},
            EncryptionAtRestOptions={"Enabled": True, "KmsKeyId": key},
            NodeToNodeEncryptionOptions={"Enabled": True},
            DomainEndpointOptions={"EnforceHTTPS": True, "TLSSecurityPolicy": "Policy-Min-TLS-1-2-PFS-2023-10"},
            AdvancedSecurityOptions={
                "Enabled": True, "InternalUserDatabaseEnabled": False,
                "MasterUserOptions": {"MasterUserARN": f"arn:aws:iam::{account}:role/good-role-ec2"},
            },
            LogPublishingOptions={
                "AUDIT_LOGS": {
                    "CloudWatchLogsLogGroupArn": f"arn:aws:logs:{region}:{account}:log-group:search-audit",
                    "Enabled": True,
                },
                "ES_APPLICATION_LOGS": {
                    "CloudWatchLogsLogGroupArn": f"arn:aws:logs:{region}:{account}:log-group:search-errors",
                    "Enabled": True,
                },
            },
            SoftwareUpdateOptions={"AutoSoftwareUpdateEnabled": True},
            AccessPolicies=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:role/good-role-ec2"},
                    "Action": "es:ESHttp*", "Resource": f"arn:aws:es:{region}:{account}:domain/good-search/*",
                }],
            }),
        )
        os.create_domain(
            DomainName="bad-search-public",
            EngineVersion="OpenSearch_2.13",
            AccessPolicies=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "es:*",
                    "Resource": f"arn:aws:es:{region}:{account}:domain/bad-search-public/*",
                }],
            }),
        )

"""Seeds a moto server with a small account for the AWS collector tests.

Every resource named `bad-...` violates at least one check; every resource named
`good-...` is hardened and must pass every check. Two regions: us-east-1 and eu-west-1.

Usage: seed.py ENDPOINT_URL
"""

import importlib.util
import json
import pathlib
import sys

import boto3

ENDPOINT = sys.argv[1]
REGIONS = ["us-east-1", "eu-west-1"]
ACCOUNT = "123456789012"


def client(service, region="us-east-1"):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=ENDPOINT,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def seed_iam():
    iam = client("iam")
    iam.update_account_password_policy(
        MinimumPasswordLength=14,
        RequireSymbols=True,
        RequireNumbers=True,
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        AllowUsersToChangePassword=True,
        MaxPasswordAge=90,
        PasswordReusePrevention=24,
    )
    read_only = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::good-bucket/*"})
    admin = doc({"Effect": "Allow", "Action": "*", "Resource": "*"})

    iam.create_policy(PolicyName="good-policy", PolicyDocument=read_only)
    iam.create_policy(PolicyName="bad-policy-admin", PolicyDocument=admin)

    iam.create_group(GroupName="good-group")
    iam.put_group_policy(GroupName="good-group", PolicyName="read", PolicyDocument=read_only)
    iam.create_group(GroupName="bad-group-admin")
    iam.put_group_policy(GroupName="bad-group-admin", PolicyName="admin", PolicyDocument=admin)
    # The customer-managed administrator policy, attached (CIS: admin policies not attached).
    iam.attach_group_policy(GroupName="bad-group-admin", PolicyArn=f"arn:aws:iam::{ACCOUNT}:policy/bad-policy-admin")

    # A user with permissions through a group only, no password, no keys.
    iam.create_user(UserName="good-user")
    iam.add_user_to_group(GroupName="good-group", UserName="good-user")

    # Console password without MFA, administrator policy attached directly, an access key.
    iam.create_user(UserName="bad-user-admin")
    iam.create_login_profile(UserName="bad-user-admin", Password="Xx-very-long-password-1")
    iam.attach_user_policy(UserName="bad-user-admin", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_access_key(UserName="bad-user-admin")

    # Administrator through a group.
    iam.create_user(UserName="bad-user-group-admin")
    iam.add_user_to_group(GroupName="bad-group-admin", UserName="bad-user-group-admin")

    # The support role (CIS: a role to manage incidents with AWS Support).
    iam.create_role(
        RoleName="good-role-support",
        AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole",
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}
        ),
    )
    iam.attach_role_policy(RoleName="good-role-support", PolicyArn="arn:aws:iam::aws:policy/AWSSupportAccess")

    iam.create_role(
        RoleName="good-role-ec2",
        AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ),
    )
    iam.put_role_policy(RoleName="good-role-ec2", PolicyName="read", PolicyDocument=read_only)
    iam.create_instance_profile(InstanceProfileName="good-profile")
    iam.add_role_to_instance_profile(InstanceProfileName="good-profile", RoleName="good-role-ec2")

    # Anyone may assume it.
    iam.create_role(
        RoleName="bad-role-open-trust",
        AssumeRolePolicyDocument=doc({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}),
    )
    # Another account may assume it without an external id.
    iam.create_role(
        RoleName="bad-role-cross-account",
        AssumeRolePolicyDocument=doc(
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}
        ),
    )
    iam.attach_role_policy(RoleName="bad-role-cross-account", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")


def seed_s3():
    s3 = client("s3")
    s3control = client("s3control")
    del s3control  # the account-level block stays unset: buckets carry their own

    def harden(name, log_target):
        statements = [
            {
                "Sid": "TlsOnly",
                "Effect": "Deny",
                # {"AWS": "*"} rather than "*": moto's logging permission check needs an object.
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
        if name == log_target:
            statements.append(
                {
                    "Sid": "AccessLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": f"arn:aws:s3:::{name}/*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT}},
                }
            )
        s3.put_bucket_policy(Bucket=name, Policy=doc(*statements))
        s3.put_public_access_block(
            Bucket=name,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/good-key"},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        s3.put_bucket_versioning(
            Bucket=name,
            VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"},
            MFA="arn:aws:iam::123456789012:mfa/root-account-mfa-device 123456",
        )
        s3.put_bucket_logging(
            Bucket=name,
            BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": log_target, "TargetPrefix": f"{name}/"}},
        )
        s3.put_bucket_ownership_controls(
            Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
        )

    s3.create_bucket(Bucket="good-bucket-logs")
    harden("good-bucket-logs", "good-bucket-logs")
    s3.create_bucket(Bucket="good-bucket")
    harden("good-bucket", "good-bucket-logs")
    eu = {"LocationConstraint": "eu-west-1"}
    s3.create_bucket(Bucket="good-bucket-logs-eu", CreateBucketConfiguration=eu)
    harden("good-bucket-logs-eu", "good-bucket-logs-eu")
    s3.create_bucket(Bucket="good-bucket-eu", CreateBucketConfiguration=eu)
    harden("good-bucket-eu", "good-bucket-logs-eu")

    # Public through its ACL, nothing else set.
    s3.create_bucket(Bucket="bad-bucket-public-acl", ObjectOwnership="ObjectWriter")
    s3.put_public_access_block(
        Bucket="bad-bucket-public-acl",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False,
            "IgnorePublicAcls": False,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    s3.put_bucket_acl(Bucket="bad-bucket-public-acl", ACL="public-read")
    # Public through its policy.
    s3.create_bucket(Bucket="bad-bucket-public-policy", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_bucket_policy(
        Bucket="bad-bucket-public-policy",
        Policy=doc(
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bad-bucket-public-policy/*"}
        ),
    )


def seed_region(region):
    ec2 = client("ec2", region)
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    # Hardened VPC: flow logs, private subnet.
    vpc = ec2.create_vpc(
        CidrBlock="10.10.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "good-vpc"}]}],
    )["Vpc"]["VpcId"]
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::good-bucket-logs",
    )
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.10.1.0/24")["Subnet"]["SubnetId"]
    ec2.create_vpc(
        CidrBlock="10.20.0.0/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "bad-vpc-no-flow-logs"}]}],
    )

    # Network ACLs.
    good_nacl = ec2.create_network_acl(
        VpcId=vpc, TagSpecifications=[{"ResourceType": "network-acl", "Tags": [{"Key": "Name", "Value": "good-nacl"}]}]
    )["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=good_nacl, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
        CidrBlock="0.0.0.0/0", PortRange={"From": 443, "To": 443},
    )
    bad_nacl = ec2.create_network_acl(
        VpcId=vpc, TagSpecifications=[{"ResourceType": "network-acl", "Tags": [{"Key": "Name", "Value": "bad-nacl-ssh"}]}]
    )["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=bad_nacl, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
        CidrBlock="0.0.0.0/0", PortRange={"From": 22, "To": 22},
    )

    # Security groups.
    good_sg = ec2.create_security_group(GroupName="good-sg-https", Description="https", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=good_sg,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    bad_ssh = ec2.create_security_group(GroupName="bad-sg-ssh", Description="ssh", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=bad_ssh,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    bad_all = ec2.create_security_group(GroupName="bad-sg-all-ipv6", Description="all", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=bad_all, IpPermissions=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]
    )

    # Instances: IMDSv2, private, hardened group; and IMDSv1 with SSH open.
    ec2.run_instances(
        ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnet,
        SecurityGroupIds=[good_sg],
        MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1},
        IamInstanceProfile={"Name": "good-profile"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "good-instance"}]}],
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "Encrypted": True}}],
    )
    ec2.run_instances(
        ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnet,
        SecurityGroupIds=[bad_ssh],
        MetadataOptions={"HttpTokens": "optional", "HttpEndpoint": "enabled"},
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "bad-instance-imdsv1"}]}],
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "Encrypted": True}}],
    )

    # Volumes and snapshots.
    az = f"{region}a"
    good_vol = ec2.create_volume(
        AvailabilityZone=az, Size=10, Encrypted=True,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "good-volume"}]}],
    )["VolumeId"]
    bad_vol = ec2.create_volume(
        AvailabilityZone=az, Size=10, Encrypted=False,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "bad-volume-unencrypted"}]}],
    )["VolumeId"]
    ec2.create_snapshot(
        VolumeId=good_vol,
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "Name", "Value": "good-snapshot"}]}],
    )
    bad_snap = ec2.create_snapshot(
        VolumeId=bad_vol,
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": "Name", "Value": "bad-snapshot-public"}]}],
    )["SnapshotId"]
    ec2.modify_snapshot_attribute(
        SnapshotId=bad_snap, Attribute="createVolumePermission", OperationType="add", GroupNames=["all"]
    )
    ec2.enable_ebs_encryption_by_default()

    # AMIs owned by the account: one private, one public.
    good_instance = ec2.describe_instances(
        Filters=[{"Name": "tag:Name", "Values": ["good-instance"]}]
    )["Reservations"][0]["Instances"][0]["InstanceId"]
    ec2.create_image(InstanceId=good_instance, Name="good-ami")
    bad_ami = ec2.create_image(InstanceId=good_instance, Name="bad-ami-public")["ImageId"]
    ec2.modify_image_attribute(
        ImageId=bad_ami, LaunchPermission={"Add": [{"Group": "all"}]}
    )
    # The snapshots backing the AMIs, named for stable results.
    for snap in ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]:
        if not any(t["Key"] == "Name" for t in snap.get("Tags", [])):
            ec2.create_tags(Resources=[snap["SnapshotId"]], Tags=[{"Key": "Name", "Value": "ami-backing-snapshot"}])

    # KMS keys.
    kms = client("kms", region)
    good_key = kms.create_key(Description="good")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=good_key)
    kms.create_alias(AliasName="alias/good-key", TargetKeyId=good_key)
    bad_key = kms.create_key(Description="bad")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/bad-key-no-rotation", TargetKeyId=bad_key)

    # RDS.
    rds = client("rds", region)
    rds.create_db_instance(
        DBInstanceIdentifier="good-db", DBInstanceClass="db.t3.micro", Engine="postgres",
        MasterUsername="admin1", MasterUserPassword="Xx-long-password-1", AllocatedStorage=20,
        PubliclyAccessible=False, StorageEncrypted=True, BackupRetentionPeriod=7, DeletionProtection=True,
        AutoMinorVersionUpgrade=True, MultiAZ=True, EnableIAMDatabaseAuthentication=True,
    )
    rds.create_db_instance(
        DBInstanceIdentifier="bad-db-public", DBInstanceClass="db.t3.micro", Engine="postgres",
        MasterUsername="admin1", MasterUserPassword="Xx-long-password-1", AllocatedStorage=20,
        PubliclyAccessible=True, StorageEncrypted=False, BackupRetentionPeriod=0, DeletionProtection=False,
        AutoMinorVersionUpgrade=False,
    )
    rds.create_db_snapshot(DBInstanceIdentifier="good-db", DBSnapshotIdentifier="good-db-snapshot")
    rds.create_db_snapshot(DBInstanceIdentifier="good-db", DBSnapshotIdentifier="bad-db-snapshot-public")
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="bad-db-snapshot-public", AttributeName="restore", ValuesToAdd=["all"]
    )

    # Stable names for what the region comes with (ids are random): the default VPC and
    # every network ACL created without a name (the VPCs' default ACLs).
    ec2.create_tags(Resources=[default_vpc], Tags=[{"Key": "Name", "Value": "default-vpc"}])
    names = {v["VpcId"]: next((t["Value"] for t in v.get("Tags", []) if t["Key"] == "Name"), v["VpcId"])
             for v in ec2.describe_vpcs()["Vpcs"]}
    for acl in ec2.describe_network_acls()["NetworkAcls"]:
        if not any(t["Key"] == "Name" for t in acl.get("Tags", [])):
            ec2.create_tags(
                Resources=[acl["NetworkAclId"]],
                Tags=[{"Key": "Name", "Value": f"default-acl-{names[acl['VpcId']]}"}],
            )


def seed_logging():
    region = "us-east-1"
    ct = client("cloudtrail", region)
    ct.create_trail(
        Name="good-trail", S3BucketName="good-bucket-logs", IsMultiRegionTrail=True,
        EnableLogFileValidation=True, KmsKeyId="alias/good-key", IncludeGlobalServiceEvents=True,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{region}:{ACCOUNT}:log-group:trail:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/good-role-ec2",
    )
    ct.put_event_selectors(
        TrailName="good-trail",
        EventSelectors=[
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            }
        ],
    )
    ct.start_logging(Name="good-trail")
    ct.create_trail(Name="bad-trail-not-logging", S3BucketName="good-bucket-logs")

    for r in REGIONS:
        cfg = client("config", r)
        cfg.put_configuration_recorder(
            ConfigurationRecorder={
                "name": "default",
                "roleARN": f"arn:aws:iam::{ACCOUNT}:role/good-role-ec2",
                "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
            }
        )
        cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "good-bucket-logs"})
        cfg.start_configuration_recorder(ConfigurationRecorderName="default")
        client("guardduty", r).create_detector(Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES")


if __name__ == "__main__":
    seed_iam()
    seed_s3()
    for r in REGIONS:
        seed_region(r)
    seed_logging()
    # One module per further service under seeds/: `seed(client, regions, account)`,
    # run in name order after the core services above (whose buckets and roles they may use).
    for path in sorted((pathlib.Path(__file__).parent / "seeds").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"seeds.{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.seed(client, REGIONS, ACCOUNT)
    print("seeded")

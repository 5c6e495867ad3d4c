"""Seeds a moto server with an AWS organization for the organization scan tests.

The management account (moto's default, 123456789012) creates an organization with all
features and SCPs enabled and this tree of member accounts (52 in all):

    Root
    +-- Security      [guardrails SCP]   good-security-1..2   (1 = GuardDuty/Access Analyzer delegated admin)
    +-- Workloads     [guardrails SCP]
    |   +-- Prod                         good-prod-1..22      (good-prod-22's role cannot be assumed: the test's proxy refuses it)
    |   +-- Dev                          good-dev-1..18
    |       +-- Experimental             good-exp-1..4
    +-- Sandbox       (no SCP)           bad-sandbox-1..4     (bad-sandbox-4 is closed: SUSPENDED)
    +-- (directly under the root)        bad-root-1..2

Account names follow the resource convention of the single-account test: a `bad-...`
account fails an organization check, a `good-...` account passes every one. Each member
account is entered through AssumeRole (moto issues credentials for the account named in
the role ARN) and seeded in us-east-1 with a bad and a good security group, IAM user and KMS
key. The management account gets an organization trail.

Prints the organization as JSON: {"management": ID, "accounts": [{"id", "name", "status"}],
"locked": ID, "suspended": ID}.

Usage: seed_org.py ENDPOINT_URL [MEMBERS]   (MEMBERS scales Prod/Dev for benchmarks)
"""

import json
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3

ENDPOINT = sys.argv[1]
MEMBERS = int(sys.argv[2]) if len(sys.argv) > 2 else 52
REGION = "us-east-1"
MANAGEMENT = "123456789012"


def client(service, creds=None):
    creds = creds or {"AccessKeyId": "testing", "SecretAccessKey": "testing", "SessionToken": None}
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=ENDPOINT,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
    )


def doc(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def seed_member(account_id):
    creds = client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
        RoleSessionName="seed",
    )["Credentials"]
    ec2 = client("ec2", creds)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    good = ec2.create_security_group(GroupName="good-sg-https", Description="https", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=good,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    bad = ec2.create_security_group(GroupName="bad-sg-ssh", Description="ssh", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=bad,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    iam = client("iam", creds)
    iam.create_user(UserName="good-user")  # no password, no keys, no policy of its own
    iam.create_user(UserName="bad-user-admin")
    iam.put_user_policy(
        UserName="bad-user-admin", PolicyName="admin", PolicyDocument=doc({"Effect": "Allow", "Action": "*", "Resource": "*"})
    )
    kms = client("kms", creds)
    good_key = kms.create_key(Description="good")["KeyMetadata"]["KeyId"]
    kms.enable_key_rotation(KeyId=good_key)
    kms.create_alias(AliasName="alias/good-key", TargetKeyId=good_key)
    bad_key = kms.create_key(Description="bad")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/bad-key-no-rotation", TargetKeyId=bad_key)


def main():
    org = client("organizations")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")

    def ou(parent, name):
        return org.create_organizational_unit(ParentId=parent, Name=name)["OrganizationalUnit"]["Id"]

    security = ou(root, "Security")
    workloads = ou(root, "Workloads")
    prod = ou(workloads, "Prod")
    dev = ou(workloads, "Dev")
    experimental = ou(dev, "Experimental")
    sandbox = ou(root, "Sandbox")

    guardrails = org.create_policy(
        Name="guardrails",
        Description="deny leaving the organization and stopping CloudTrail",
        Type="SERVICE_CONTROL_POLICY",
        Content=doc(
            {"Effect": "Deny", "Action": ["organizations:LeaveOrganization", "cloudtrail:StopLogging"], "Resource": "*"}
        ),
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=guardrails, TargetId=security)
    org.attach_policy(PolicyId=guardrails, TargetId=workloads)

    extra = max(0, MEMBERS - 52)
    layout = (
        [("good-security", 2, security), ("good-prod", 22 + extra // 2, prod), ("good-dev", 18 + extra - extra // 2, dev)]
        + [("good-exp", 4, experimental), ("bad-sandbox", 4, sandbox), ("bad-root", 2, None)]
    )
    accounts = []
    n = 0
    for prefix, count, parent in layout:
        for i in range(1, count + 1):
            n += 1
            name = f"{prefix}-{i}"
            status = org.create_account(AccountName=name, Email=f"aws+{name}@example.com")["CreateAccountStatus"]
            account_id = status["AccountId"]
            if parent:
                org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=parent)
            accounts.append({"id": account_id, "name": name})

    by_name = {a["name"]: a["id"] for a in accounts}
    security_account = by_name["good-security-1"]
    for principal in ["guardduty.amazonaws.com", "access-analyzer.amazonaws.com"]:
        org.register_delegated_administrator(AccountId=security_account, ServicePrincipal=principal)

    # An organization trail in the management account.
    client("s3").create_bucket(Bucket="org-trail-logs")
    ct = client("cloudtrail")
    ct.create_trail(Name="org-trail", S3BucketName="org-trail-logs", IsMultiRegionTrail=True, IsOrganizationTrail=True)
    ct.start_logging(Name="org-trail")

    suspended = by_name["bad-sandbox-4"]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(seed_member, [a["id"] for a in accounts if a["id"] != suspended]))
    org.close_account(AccountId=suspended)

    statuses = {a["Id"]: a["Status"] for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]}
    for a in accounts:
        a["status"] = statuses.get(a["id"], "UNKNOWN")
    locked = by_name[f"good-prod-{22 + extra // 2}"]
    print(json.dumps({"management": MANAGEMENT, "accounts": accounts, "locked": locked, "suspended": suspended}))


main()

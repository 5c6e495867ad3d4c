"""Seeds a moto server with a large account for scripts/bench-aws.

Usage: bench_aws_seed.py ENDPOINT_URL
Sizes from the environment: BENCH_BUCKETS (1000), BENCH_USERS (1000), BENCH_SGS (500),
BENCH_INSTANCES (200); spread over us-east-1 and eu-west-1.
"""

import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3

ENDPOINT = sys.argv[1]
REGIONS = ["us-east-1", "eu-west-1"]
BUCKETS = int(os.environ.get("BENCH_BUCKETS", 1000))
USERS = int(os.environ.get("BENCH_USERS", 1000))
SGS = int(os.environ.get("BENCH_SGS", 500))
INSTANCES = int(os.environ.get("BENCH_INSTANCES", 200))


def client(service, region="us-east-1"):
    return boto3.client(
        service, region_name=region, endpoint_url=ENDPOINT,
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )


def parallel(fn, items):
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fn, items))


def seed_users():
    iam = client("iam")
    iam.create_group(GroupName="developers")
    iam.put_group_policy(
        GroupName="developers", PolicyName="read",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}),
    )

    def one(i):
        name = f"user-{i:05d}"
        iam.create_user(UserName=name)
        if i % 2 == 0:
            iam.add_user_to_group(GroupName="developers", UserName=name)
        if i % 3 == 0:
            iam.create_access_key(UserName=name)
        if i % 4 == 0:
            iam.create_login_profile(UserName=name, Password="Xx-very-long-password-1")
        if i % 10 == 0:
            iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess")

    parallel(one, range(USERS))
    for i in range(20):
        iam.create_role(
            RoleName=f"role-{i:03d}",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
        )


def seed_buckets():
    s3 = client("s3")

    def one(i):
        name = f"bucket-{i:05d}"
        region = REGIONS[i % 2]
        if region == "us-east-1":
            s3.create_bucket(Bucket=name)
        else:
            s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
        if i % 2 == 0:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        if i % 5 == 0:
            s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"}]}))

    parallel(one, range(BUCKETS))


def seed_region(region):
    ec2 = client("ec2", region)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    per_region = SGS // len(REGIONS)

    def one(i):
        gid = ec2.create_security_group(GroupName=f"sg-{region}-{i:04d}", Description="bench", VpcId=vpc)["GroupId"]
        port = [22, 443, 3389, 5432][i % 4]
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        return gid

    with ThreadPoolExecutor(8) as pool:
        groups = list(pool.map(one, range(per_region)))
    count = INSTANCES // len(REGIONS)
    for start in range(0, count, 50):
        n = min(50, count - start)
        ec2.run_instances(
            ImageId="ami-12345678", MinCount=n, MaxCount=n, InstanceType="t3.micro",
            SecurityGroupIds=[groups[start % len(groups)]],
            MetadataOptions={"HttpTokens": "optional" if start % 100 == 0 else "required"},
        )
    kms = client("kms", region)
    for i in range(10):
        kms.create_key(Description=f"key-{i}")
    client("rds", region).create_db_instance(
        DBInstanceIdentifier=f"db-{region}", DBInstanceClass="db.t3.micro", Engine="postgres",
        MasterUsername="admin1", MasterUserPassword="Xx-long-password-1", AllocatedStorage=20,
    )


if __name__ == "__main__":
    seed_users()
    seed_buckets()
    for r in REGIONS:
        seed_region(r)
    client("cloudtrail").create_trail(Name="main", S3BucketName="bucket-00000", IsMultiRegionTrail=True)
    print("seeded")

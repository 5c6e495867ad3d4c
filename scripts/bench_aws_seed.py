"""Seeds a moto server with a large account for scripts/bench-aws.

Usage: bench_aws_seed.py ENDPOINT_URL
Sizes from the environment: BENCH_BUCKETS (1000), BENCH_USERS (1000), BENCH_SGS (500),
BENCH_INSTANCES (200); spread over us-east-1 and eu-west-1. BENCH_BREADTH=N (0) adds N
resources per region of each further service (Lambda, SQS, SNS, DynamoDB, Secrets Manager,
CloudWatch Logs, ECR, SSM parameters, ELBv2, EFS, API Gateway), for the breadth benchmark.
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
BREADTH = int(os.environ.get("BENCH_BREADTH", 0))


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


def seed_breadth(region):
    """BREADTH resources of each further service in one region, some hardened, some not."""
    role = "arn:aws:iam::123456789012:role/role-000"
    lam, sqs, sns = client("lambda", region), client("sqs", region), client("sns", region)
    ddb, sm, logs = client("dynamodb", region), client("secretsmanager", region), client("logs", region)
    ecr, ssm, efs = client("ecr", region), client("ssm", region), client("efs", region)
    apigw, elb, ec2 = client("apigateway", region), client("elbv2", region), client("ec2", region)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    code = {"ZipFile": b"PK\x05\x06" + b"\x00" * 18}  # an empty zip archive

    def one(i):
        tag = f"{region}-{i:03d}"
        lam.create_function(FunctionName=f"fn-{tag}", Runtime="python3.8" if i % 2 else "python3.12",
                            Role=role, Handler="h.h", Code=code)
        attrs = {"KmsMasterKeyId": "alias/aws/sqs"} if i % 2 else {}
        sqs.create_queue(QueueName=f"queue-{tag}", Attributes=attrs)
        sns.create_topic(Name=f"topic-{tag}", Attributes={"KmsMasterKeyId": "alias/aws/sns"} if i % 2 else {})
        ddb.create_table(TableName=f"table-{tag}", BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}])
        sm.create_secret(Name=f"secret-{tag}", SecretString="x")
        logs.create_log_group(logGroupName=f"/bench/{tag}")
        ecr.create_repository(repositoryName=f"repo-{tag}",
                              imageScanningConfiguration={"scanOnPush": bool(i % 2)})
        ssm.put_parameter(Name=f"/bench/{tag}", Value="v", Type="SecureString" if i % 2 else "String")
        efs.create_file_system(CreationToken=f"fs-{tag}", Encrypted=bool(i % 2))
        apigw.create_rest_api(name=f"api-{tag}")
        if subnets and i % 4 == 0:
            elb.create_load_balancer(Name=f"lb-{tag}"[:32], Subnets=subnets, Type="application")

    parallel(one, range(BREADTH))


if __name__ == "__main__":
    seed_users()
    seed_buckets()
    for r in REGIONS:
        seed_region(r)
    client("cloudtrail").create_trail(Name="main", S3BucketName="bucket-00000", IsMultiRegionTrail=True)
    if BREADTH:
        for r in REGIONS:
            seed_breadth(r)
    print("seeded")

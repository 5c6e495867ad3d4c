"""Elastic Load Balancing: one hardened and one weak Application Load Balancer and Classic
Load Balancer per region, behind an imported certificate (moto requires the certificate
of an HTTPS listener to exist in ACM)."""

import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


def self_signed(domain):
    """A self-signed RSA 2048 certificate for `domain`, valid for ten years (PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
    )


def seed(client, regions, account):
    body, key = self_signed("good-lb.example.com")
    for region in regions:
        ec2 = client("ec2", region)
        subnets = [
            s["SubnetId"]
            for s in ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]
        ][:2]
        vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        cert = client("acm", region).import_certificate(Certificate=body, PrivateKey=key)["CertificateArn"]

        elbv2 = client("elbv2", region)
        tg = elbv2.create_target_group(Name="web", Protocol="HTTP", Port=8080, VpcId=vpc)["TargetGroups"][0][
            "TargetGroupArn"
        ]
        forward = [{"Type": "forward", "TargetGroupArn": tg}]

        good = elbv2.create_load_balancer(Name="good-alb", Subnets=subnets, Scheme="internet-facing")[
            "LoadBalancers"
        ][0]["LoadBalancerArn"]
        elbv2.create_listener(
            LoadBalancerArn=good,
            Protocol="HTTP",
            Port=80,
            DefaultActions=[
                {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
            ],
        )
        elbv2.create_listener(
            LoadBalancerArn=good,
            Protocol="HTTPS",
            Port=443,
            SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
            Certificates=[{"CertificateArn": cert}],
            DefaultActions=forward,
        )
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=good,
            Attributes=[
                {"Key": "access_logs.s3.enabled", "Value": "true"},
                {"Key": "access_logs.s3.bucket", "Value": "good-bucket-logs"},
                {"Key": "deletion_protection.enabled", "Value": "true"},
                {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "true"},
                {"Key": "routing.http.desync_mitigation_mode", "Value": "defensive"},
            ],
        )

        # Plain HTTP served, TLS 1.0 accepted, no logs, no deletion protection, monitor mode.
        bad = elbv2.create_load_balancer(Name="bad-alb", Subnets=subnets, Scheme="internet-facing")[
            "LoadBalancers"
        ][0]["LoadBalancerArn"]
        elbv2.create_listener(LoadBalancerArn=bad, Protocol="HTTP", Port=80, DefaultActions=forward)
        elbv2.create_listener(
            LoadBalancerArn=bad,
            Protocol="HTTPS",
            Port=443,
            SslPolicy="ELBSecurityPolicy-2016-08",
            Certificates=[{"CertificateArn": cert}],
            DefaultActions=forward,
        )
        elbv2.modify_load_balancer_attributes(
            LoadBalancerArn=bad,
            Attributes=[
                {"Key": "access_logs.s3.enabled", "Value": "false"},
                {"Key": "deletion_protection.enabled", "Value": "false"},
                {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": "false"},
                {"Key": "routing.http.desync_mitigation_mode", "Value": "monitor"},
            ],
        )

        elb = client("elb", region)
        zones = [f"{region}a"]
        elb.create_load_balancer(
            LoadBalancerName="good-clb",
            Listeners=[
                {
                    "Protocol": "HTTPS",
                    "LoadBalancerPort": 443,
                    "InstanceProtocol": "HTTP",
                    "InstancePort": 8080,
                    "SSLCertificateId": cert,
                }
            ],
            AvailabilityZones=zones,
        )
        elb.create_load_balancer_policy(
            LoadBalancerName="good-clb",
            PolicyName="tls-12",
            PolicyTypeName="SSLNegotiationPolicyType",
            PolicyAttributes=[
                {"AttributeName": "Reference-Security-Policy", "AttributeValue": "ELBSecurityPolicy-TLS-1-2-2017-01"},
                {"AttributeName": "Protocol-TLSv1", "AttributeValue": "false"},
                {"AttributeName": "Protocol-TLSv1.1", "AttributeValue": "false"},
                {"AttributeName": "Protocol-TLSv1.2", "AttributeValue": "true"},
            ],
        )
        elb.set_load_balancer_policies_of_listener(
            LoadBalancerName="good-clb", LoadBalancerPort=443, PolicyNames=["tls-12"]
        )
        elb.modify_load_balancer_attributes(
            LoadBalancerName="good-clb",
            LoadBalancerAttributes={
                "AccessLog": {"Enabled": True, "S3BucketName": "good-bucket-logs", "EmitInterval": 60},
                "AdditionalAttributes": [{"Key": "elb.http.desyncmitigationmode", "Value": "defensive"}],
            },
        )

        # Internet-facing plain HTTP, no access logs, monitor mode.
        elb.create_load_balancer(
            LoadBalancerName="bad-clb",
            Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstanceProtocol": "HTTP", "InstancePort": 8080}],
            AvailabilityZones=zones,
        )
        elb.modify_load_balancer_attributes(
            LoadBalancerName="bad-clb",
            LoadBalancerAttributes={
                "AccessLog": {"Enabled": False},
                "AdditionalAttributes": [{"Key": "elb.http.desyncmitigationmode", "Value": "monitor"}],
            },
        )

"""Security Hub, Inspector and the account's security contact.

Security Hub is enabled in us-east-1 only; Inspector scans EC2, ECR and Lambda in
us-east-1 and EC2 only in eu-west-1. Macie is answered by the stub in
tests/aws/stubs_mon.rs (enabled in us-east-1 only): moto does not emulate GetMacieSession.
"""


def seed(client, regions, account):
    client("securityhub", "us-east-1").enable_security_hub(EnableDefaultStandards=False)
    client("inspector2", "us-east-1").enable(accountIds=[account], resourceTypes=["EC2", "ECR", "LAMBDA"])
    client("inspector2", "eu-west-1").enable(accountIds=[account], resourceTypes=["EC2"])
    client("account", "us-east-1").put_alternate_contact(
        AlternateContactType="SECURITY", Name="Security team", Title="Security",
        EmailAddress="security@example.com", PhoneNumber="+81-3-0000-0000",
    )

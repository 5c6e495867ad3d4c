"""CloudWatch Logs and SNS: log groups, the CIS metric filters on the good trail's log
group, and the topic its alarms notify.

moto does not speak the CloudWatch protocol the SDK uses (Smithy RPC v2 CBOR), so the
alarms on these metrics come from the CloudWatch stub in tests/aws/stubs_mon.rs; the
metric names here and there must agree.
"""

NAMESPACE = "CISBenchmark"

# (metric name, filter pattern) as the CIS AWS Foundations Benchmark monitoring controls
# write them.
CIS_FILTERS = [
    ("UnauthorizedAPICalls", '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'),
    ("ConsoleSigninWithoutMFA", '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'),
    ("RootAccountUsage", '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'),
    ("IAMPolicyChanges", "{($.eventName=DeleteGroupPolicy)||($.eventName=DeleteRolePolicy)||($.eventName=DeleteUserPolicy)||($.eventName=PutGroupPolicy)||($.eventName=PutRolePolicy)||($.eventName=PutUserPolicy)||($.eventName=CreatePolicy)||($.eventName=DeletePolicy)||($.eventName=CreatePolicyVersion)||($.eventName=DeletePolicyVersion)||($.eventName=AttachRolePolicy)||($.eventName=DetachRolePolicy)||($.eventName=AttachUserPolicy)||($.eventName=DetachUserPolicy)||($.eventName=AttachGroupPolicy)||($.eventName=DetachGroupPolicy)}"),
    ("CloudTrailChanges", "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"),
    ("ConsoleSigninFailures", '{ ($.eventName = ConsoleLogin) && ($.errorMessage = "Failed authentication") }'),
    ("DisableOrDeleteCMK", "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||($.eventName=ScheduleKeyDeletion)) }"),
    ("S3BucketPolicyChanges", "{ ($.eventSource = s3.amazonaws.com) && (($.eventName = PutBucketAcl) || ($.eventName = PutBucketPolicy) || ($.eventName = PutBucketCors) || ($.eventName = PutBucketLifecycle) || ($.eventName = PutBucketReplication) || ($.eventName = DeleteBucketPolicy) || ($.eventName = DeleteBucketCors) || ($.eventName = DeleteBucketLifecycle) || ($.eventName = DeleteBucketReplication)) }"),
    ("AWSConfigChanges", "{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)||($.eventName=PutConfigurationRecorder)) }"),
    ("SecurityGroupChanges", "{ ($.eventName = AuthorizeSecurityGroupIngress) || ($.eventName = AuthorizeSecurityGroupEgress) || ($.eventName = RevokeSecurityGroupIngress) || ($.eventName = RevokeSecurityGroupEgress) || ($.eventName = CreateSecurityGroup) || ($.eventName = DeleteSecurityGroup) }"),
    ("NACLChanges", "{ ($.eventName = CreateNetworkAcl) || ($.eventName = CreateNetworkAclEntry) || ($.eventName = DeleteNetworkAcl) || ($.eventName = DeleteNetworkAclEntry) || ($.eventName = ReplaceNetworkAclEntry) || ($.eventName = ReplaceNetworkAclAssociation) }"),
    ("NetworkGatewayChanges", "{ ($.eventName = CreateCustomerGateway) || ($.eventName = DeleteCustomerGateway) || ($.eventName = AttachInternetGateway) || ($.eventName = CreateInternetGateway) || ($.eventName = DeleteInternetGateway) || ($.eventName = DetachInternetGateway) }"),
    ("RouteTableChanges", "{ ($.eventSource = ec2.amazonaws.com) && (($.eventName = CreateRoute) || ($.eventName = CreateRouteTable) || ($.eventName = ReplaceRoute) || ($.eventName = ReplaceRouteTableAssociation) || ($.eventName = DeleteRouteTable) || ($.eventName = DeleteRoute) || ($.eventName = DisassociateRouteTable)) }"),
    ("VPCChanges", "{ ($.eventName = CreateVpc) || ($.eventName = DeleteVpc) || ($.eventName = ModifyVpcAttribute) || ($.eventName = AcceptVpcPeeringConnection) || ($.eventName = CreateVpcPeeringConnection) || ($.eventName = DeleteVpcPeeringConnection) || ($.eventName = RejectVpcPeeringConnection) || ($.eventName = AttachClassicLinkVpc) || ($.eventName = DetachClassicLinkVpc) || ($.eventName = DisableVpcClassicLink) || ($.eventName = EnableVpcClassicLink) }"),
    ("OrganizationsChanges", '{ ($.eventSource = organizations.amazonaws.com) && (($.eventName = "AcceptHandshake") || ($.eventName = "AttachPolicy") || ($.eventName = "CreateAccount") || ($.eventName = "CreateOrganizationalUnit") || ($.eventName = "CreatePolicy") || ($.eventName = "DeclineHandshake") || ($.eventName = "DeleteOrganization") || ($.eventName = "DeleteOrganizationalUnit") || ($.eventName = "DeletePolicy") || ($.eventName = "DetachPolicy") || ($.eventName = "DisablePolicyType") || ($.eventName = "EnablePolicyType") || ($.eventName = "InviteAccountToOrganization") || ($.eventName = "LeaveOrganization") || ($.eventName = "MoveAccount") || ($.eventName = "RemoveAccountFromOrganization") || ($.eventName = "UpdatePolicy") || ($.eventName = "UpdateOrganizationalUnit")) }'),
]


def seed(client, regions, account):
    key = f"arn:aws:kms:us-east-1:{account}:alias/good-key"
    for r in regions:
        logs = client("logs", r)
        suffix = "" if r == "us-east-1" else "-eu"
        logs.create_log_group(logGroupName=f"good-log-group{suffix}", kmsKeyId=key.replace("us-east-1", r))
        logs.put_retention_policy(logGroupName=f"good-log-group{suffix}", retentionInDays=400)
        # Short retention, no KMS key.
        logs.create_log_group(logGroupName=f"bad-log-group{suffix}")
        logs.put_retention_policy(logGroupName=f"bad-log-group{suffix}", retentionInDays=7)

    # The log group good-trail (seed.py) delivers to, with every CIS metric filter.
    logs = client("logs", "us-east-1")
    logs.create_log_group(logGroupName="good-log-group-trail", kmsKeyId=key)
    for metric, pattern in CIS_FILTERS:
        logs.put_metric_filter(
            logGroupName="good-log-group-trail",
            filterName=metric,
            filterPattern=pattern,
            metricTransformations=[{"metricName": metric, "metricNamespace": NAMESPACE, "metricValue": "1"}],
        )
    ct = client("cloudtrail", "us-east-1")
    ct.update_trail(
        Name="good-trail",
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:us-east-1:{account}:log-group:good-log-group-trail:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{account}:role/good-role-ec2",
    )

    # The topic the CIS alarms notify, with a subscriber.
    sns = client("sns", "us-east-1")
    topic = sns.create_topic(
        Name="good-topic-alerts", Attributes={"KmsMasterKeyId": "alias/good-key"}
    )["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="security@example.com")


"""Route 53: a public hosted zone whose DNS queries are logged and one without query
logging. (moto's GetDNSSEC answers NOT_SIGNING for every zone.)"""


def seed(client, regions, account):
    route53 = client("route53")
    logs = client("logs", "us-east-1")
    group = "/aws/route53/good-zone.example.com"
    logs.create_log_group(logGroupName=group)
    good = route53.create_hosted_zone(Name="good-zone.example.com", CallerReference="good-zone")["HostedZone"]["Id"]
    route53.create_query_logging_config(
        HostedZoneId=good, CloudWatchLogsLogGroupArn=f"arn:aws:logs:us-east-1:{account}:log-group:{group}:*"
    )
    route53.create_hosted_zone(Name="bad-zone.example.com", CallerReference="bad-zone")

"""AWS WAF: per region the logged web ACL of the hardened REST API stage (good-api-acl,
created by seeds/apigateway.py), a web ACL without rules, logs or metrics and one whose
only rule group is left in Count mode; in us-east-1 also a logged CLOUDFRONT web ACL."""


def visibility(name, metrics=True):
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": metrics, "MetricName": name}


def managed(name, override):
    return {
        "Name": name,
        "Priority": 0,
        "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}},
        "OverrideAction": {override: {}},
        "VisibilityConfig": visibility(name),
    }


def seed(client, regions, account):
    for region in regions:
        wafv2 = client("wafv2", region)
        logs = f"arn:aws:logs:{region}:{account}:log-group:aws-waf-logs-web"
        acls = {a["Name"]: a["ARN"] for a in wafv2.list_web_acls(Scope="REGIONAL")["WebACLs"]}
        wafv2.put_logging_configuration(
            LoggingConfiguration={"ResourceArn": acls["good-api-acl"], "LogDestinationConfigs": [logs]}
        )

        # No rules, no logging, no metrics.
        wafv2.create_web_acl(
            Name="bad-acl-empty",
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            Rules=[],
            VisibilityConfig=visibility("bad-acl-empty", metrics=False),
        )
        # Logged, but its only rule group counts matches and the default action allows.
        count = wafv2.create_web_acl(
            Name="bad-acl-count",
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            Rules=[managed("common", "Count")],
            VisibilityConfig=visibility("bad-acl-count"),
        )["Summary"]["ARN"]
        wafv2.put_logging_configuration(LoggingConfiguration={"ResourceArn": count, "LogDestinationConfigs": [logs]})

        if region == "us-east-1":
            edge = wafv2.create_web_acl(
                Name="good-edge-acl",
                Scope="CLOUDFRONT",
                DefaultAction={"Allow": {}},
                Rules=[managed("common", "None")],
                VisibilityConfig=visibility("good-edge-acl"),
            )["Summary"]["ARN"]
            wafv2.put_logging_configuration(
                LoggingConfiguration={"ResourceArn": edge, "LogDestinationConfigs": [logs]}
            )

"""API Gateway: per region one hardened and one weak REST API (with a stage each), HTTP API
and WebSocket API (with a stage each). The hardened REST stage is protected by a regional
web ACL (good-api-acl, logged: seeds/wafv2.py reads the same name)."""

import json


def rest_api(apigw, name, policy, authorization):
    api = apigw.create_rest_api(name=name, endpointConfiguration={"types": ["REGIONAL"]}, policy=json.dumps(policy))
    api_id = api["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    items = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    apigw.put_method(restApiId=api_id, resourceId=items, httpMethod="GET", authorizationType=authorization)
    apigw.put_method(restApiId=api_id, resourceId=items, httpMethod="OPTIONS", authorizationType="NONE")
    for verb in ("GET", "OPTIONS"):
        apigw.put_integration(restApiId=api_id, resourceId=items, httpMethod=verb, type="MOCK")
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    return api_id


def seed(client, regions, account):
    for region in regions:
        apigw = client("apigateway", region)
        logs = f"arn:aws:logs:{region}:{account}:log-group:api-access"

        good = rest_api(
            apigw,
            "good-api",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "execute-api:Invoke",
                        "Resource": "execute-api:/*",
                        "Condition": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}},
                    }
                ],
            },
            "AWS_IAM",
        )
        apigw.update_stage(
            restApiId=good,
            stageName="prod",
            patchOperations=[
                {"op": "replace", "path": "/tracingEnabled", "value": "true"},
                {"op": "replace", "path": "/accessLogSettings/destinationArn", "value": logs},
                {"op": "replace", "path": "/accessLogSettings/format", "value": '{"requestId":"$context.requestId"}'},
                {"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"},
                {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
                {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
                {"op": "replace", "path": "/*/*/caching/dataEncrypted", "value": "true"},
            ],
        )
        wafv2 = client("wafv2", region)
        acl = wafv2.create_web_acl(
            Name="good-api-acl",
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            Rules=[
                {
                    "Name": "common",
                    "Priority": 0,
                    "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "AWSManagedRulesCommonRuleSet"}},
                    "OverrideAction": {"None": {}},
                    "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "common"},
                }
            ],
            VisibilityConfig={"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": "good-api-acl"},
        )["Summary"]["ARN"]
        wafv2.associate_web_acl(WebACLArn=acl, ResourceArn=f"arn:aws:apigateway:{region}::/restapis/{good}/stages/prod")

        # Open policy, an unauthenticated GET, no logs, no tracing, no WAF, cache unencrypted.
        bad = rest_api(
            apigw,
            "bad-api",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}
                ],
            },
            "NONE",
        )
        apigw.update_stage(
            restApiId=bad,
            stageName="prod",
            patchOperations=[
                {"op": "replace", "path": "/cacheClusterEnabled", "value": "true"},
                {"op": "replace", "path": "/*/*/caching/enabled", "value": "true"},
                {"op": "replace", "path": "/*/*/caching/dataEncrypted", "value": "false"},
                {"op": "replace", "path": "/*/*/logging/loglevel", "value": "OFF"},
            ],
        )

        v2 = client("apigatewayv2", region)
        for protocol, name in (("HTTP", "http"), ("WEBSOCKET", "ws")):
            extra = {"RouteSelectionExpression": "$request.body.action"} if protocol == "WEBSOCKET" else {}
            route = "$connect" if protocol == "WEBSOCKET" else "GET /items"
            good_api = v2.create_api(Name=f"good-{name}", ProtocolType=protocol, **extra)["ApiId"]
            v2.create_route(ApiId=good_api, RouteKey=route, AuthorizationType="AWS_IAM")
            settings = {"LoggingLevel": "INFO", "DataTraceEnabled": False} if protocol == "WEBSOCKET" else {}
            # Client certificates are for WebSocket APIs' HTTP integrations only.
            cert = {"ClientCertificateId": "a1b2c3"} if protocol == "WEBSOCKET" else {}
            v2.create_stage(
                ApiId=good_api,
                StageName="prod",
                AutoDeploy=True,
                **cert,
                AccessLogSettings={"DestinationArn": logs, "Format": '{"requestId":"$context.requestId"}'},
                DefaultRouteSettings={"DetailedMetricsEnabled": True, **settings},
            )
            # No authorization, no access logs, no execution logs.
            bad_api = v2.create_api(Name=f"bad-{name}", ProtocolType=protocol, **extra)["ApiId"]
            v2.create_route(ApiId=bad_api, RouteKey=route, AuthorizationType="NONE")
            v2.create_stage(ApiId=bad_api, StageName="prod")

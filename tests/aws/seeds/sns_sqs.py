"""SNS topics and SQS queues: public policies and encryption at rest, in both regions.

good-topic-alerts (us-east-1) is seeded by cloudwatch.py: encrypted, default policy.
"""

import json


def policy(statement):
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def seed(client, regions, account):
    for r in regions:
        suffix = "" if r == "us-east-1" else "-eu"
        sns = client("sns", r)
        # Anyone may publish; no KMS key.
        bad = sns.create_topic(Name=f"bad-topic-public{suffix}")["TopicArn"]
        sns.set_topic_attributes(
            TopicArn=bad, AttributeName="Policy",
            AttributeValue=policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sns:Publish", "Resource": bad}),
        )
        if r != "us-east-1":
            sns.create_topic(Name=f"good-topic{suffix}", Attributes={"KmsMasterKeyId": "alias/aws/sns"})

        sqs = client("sqs", r)
        # Anyone may read; encryption off.
        url = sqs.create_queue(QueueName=f"bad-queue-public{suffix}", Attributes={"SqsManagedSseEnabled": "false"})["QueueUrl"]
        arn = f"arn:aws:sqs:{r}:{account}:bad-queue-public{suffix}"
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy(
            {"Effect": "Allow", "Principal": "*", "Action": "sqs:ReceiveMessage", "Resource": arn})})
        # SSE-KMS; "*" only for messages from the account's topic.
        url = sqs.create_queue(QueueName=f"good-queue{suffix}", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})["QueueUrl"]
        arn = f"arn:aws:sqs:{r}:{account}:good-queue{suffix}"
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy(
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sqs:SendMessage", "Resource": arn,
             "Condition": {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:{r}:{account}:good-topic-alerts"}}})})

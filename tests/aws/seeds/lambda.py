"""Lambda: one function failing every function check and one passing them all, per region."""

import io
import zipfile


def _code():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return {}\n")
    return buf.getvalue()


def seed(client, regions, account):
    role = f"arn:aws:iam::{account}:role/good-role-ec2"
    code = {"ZipFile": _code()}
    for r in regions:
        lam = client("lambda", r)
        # Deprecated runtime, a secret-like variable under the AWS owned key, no active
        # tracing, invocable by anyone, and a function URL without IAM authentication.
        lam.create_function(
            FunctionName="bad-function",
            Runtime="python3.9",
            Role=role,
            Handler="index.handler",
            Code=code,
            Environment={"Variables": {"DB_PASSWORD": "hunter2", "STAGE": "prod"}},
        )
        lam.add_permission(
            FunctionName="bad-function",
            StatementId="anyone",
            Action="lambda:InvokeFunction",
            Principal="*",
        )
        lam.create_function_url_config(FunctionName="bad-function", AuthType="NONE")

        lam.create_function(
            FunctionName="good-function",
            Runtime="python3.13",
            Role=role,
            Handler="index.handler",
            Code=code,
            Environment={"Variables": {"TABLE_NAME": "orders", "DB_SECRET_ARN": "arn:aws:secretsmanager:x"}},
            KMSKeyArn=f"arn:aws:kms:{r}:{account}:key/11111111-2222-3333-4444-555555555555",
            TracingConfig={"Mode": "Active"},
        )
        lam.add_permission(
            FunctionName="good-function",
            StatementId="s3-uploads",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
            SourceArn="arn:aws:s3:::good-bucket",
            SourceAccount=account,
        )
        lam.create_function_url_config(FunctionName="good-function", AuthType="AWS_IAM")

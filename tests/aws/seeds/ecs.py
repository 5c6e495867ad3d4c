"""ECS: per region, a cluster without and one with Container Insights, and a task definition
family failing every task definition check and one passing them all."""


def seed(client, regions, account):
    for r in regions:
        ecs = client("ecs", r)
        ecs.create_cluster(clusterName="bad-cluster")
        ecs.create_cluster(
            clusterName="good-cluster",
            settings=[{"name": "containerInsights", "value": "enhanced"}],
        )
        # Privileged, host network and PID namespace, root user, writable root
        # filesystem, credentials in plain environment variables, no logging.
        ecs.register_task_definition(
            family="bad-taskdef",
            networkMode="host",
            pidMode="host",
            requiresCompatibilities=["EC2"],
            containerDefinitions=[
                {
                    "name": "app",
                    "image": "nginx:1.27",
                    "memory": 256,
                    "privileged": True,
                    "user": "root",
                    "environment": [
                        {"name": "AWS_SECRET_ACCESS_KEY", "value": "not-a-real-key"},
                        {"name": "STAGE", "value": "prod"},
                    ],
                }
            ],
        )
        # An older revision of the good family that would fail: only the latest counts.
        ecs.register_task_definition(
            family="good-taskdef",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            containerDefinitions=[{"name": "app", "image": "nginx:1.27", "privileged": True}],
        )
        ecs.register_task_definition(
            family="good-taskdef",
            networkMode="awsvpc",
            requiresCompatibilities=["FARGATE"],
            cpu="256",
            memory="512",
            executionRoleArn=f"arn:aws:iam::{account}:role/good-role-ec2",
            taskRoleArn=f"arn:aws:iam::{account}:role/good-role-ec2",
            containerDefinitions=[
                {
                    "name": "app",
                    "image": f"{account}.dkr.ecr.{r}.amazonaws.com/good-repo:1.0.0",
                    "privileged": False,
                    "readonlyRootFilesystem": True,
                    "user": "1000:1000",
                    "environment": [{"name": "STAGE", "value": "prod"}],
                    "secrets": [
                        {"name": "DB_PASSWORD", "valueFrom": f"arn:aws:secretsmanager:{r}:{account}:secret:db-AbCdEf"}
                    ],
                    "logConfiguration": {
                        "logDriver": "awslogs",
                        "options": {"awslogs-group": "/ecs/good", "awslogs-region": r, "awslogs-stream-prefix": "app"},
                    },
                }
            ],
        )

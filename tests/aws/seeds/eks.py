"""EKS: one cluster failing every cluster check and one passing them all, per region."""


def seed(client, regions, account):
    role = f"arn:aws:iam::{account}:role/good-role-ec2"
    for r in regions:
        eks = client("eks", r)
        # Old version, API open to the internet, no control plane logs, no CMK for secrets.
        eks.create_cluster(
            name="bad-eks",
            version="1.29",
            roleArn=role,
            resourcesVpcConfig={
                "subnetIds": ["subnet-11111111"],
                "endpointPublicAccess": True,
                "endpointPrivateAccess": False,
                "publicAccessCidrs": ["0.0.0.0/0"],
            },
            logging={"clusterLogging": [{"types": ["api", "audit", "authenticator", "controllerManager", "scheduler"], "enabled": False}]},
        )
        eks.create_cluster(
            name="good-eks",
            version="1.35",
            roleArn=role,
            resourcesVpcConfig={
                "subnetIds": ["subnet-11111111"],
                "endpointPublicAccess": False,
                "endpointPrivateAccess": True,
                "publicAccessCidrs": [],
            },
            logging={
                "clusterLogging": [
                    {"types": ["api", "audit", "authenticator"], "enabled": True},
                    {"types": ["controllerManager", "scheduler"], "enabled": False},
                ]
            },
            encryptionConfig=[
                {
                    "resources": ["secrets"],
                    "provider": {"keyArn": f"arn:aws:kms:{r}:{account}:key/11111111-2222-3333-4444-555555555555"},
                }
            ],
        )

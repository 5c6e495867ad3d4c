"""Redshift clusters: one hardened, one public, unencrypted, without audit logs and with
the default administrator name."""


def seed(client, regions, account):
    for region in regions:
        rs = client("redshift", region)
        rs.create_cluster_parameter_group(
            ParameterGroupName="good-params", ParameterGroupFamily="redshift-1.0", Description="tls"
        )
        # moto has no ModifyClusterParameterGroup: require_ssl stays false (EMULATOR_LIMITS).
        rs.create_cluster(
            ClusterIdentifier="good-cluster", NodeType="ra3.xlplus", MasterUsername="dwadmin",
            MasterUserPassword="Xx-long-password-1", ClusterParameterGroupName="good-params",
            PubliclyAccessible=False, Encrypted=True, EnhancedVpcRouting=True, AllowVersionUpgrade=True,
            AutomatedSnapshotRetentionPeriod=7,
        )
        rs.enable_logging(
            ClusterIdentifier="good-cluster", LogDestinationType="cloudwatch",
            LogExports=["connectionlog", "userlog", "useractivitylog"],
        )
        rs.create_cluster(
            ClusterIdentifier="bad-cluster-public", NodeType="ra3.xlplus", MasterUsername="awsuser",
            MasterUserPassword="Xx-long-password-1", PubliclyAccessible=True, Encrypted=False,
            EnhancedVpcRouting=False, AllowVersionUpgrade=False, AutomatedSnapshotRetentionPeriod=1,
        )

"""ElastiCache replication groups: one hardened, one with every default."""


def seed(client, regions, account):
    for region in regions:
        ec = client("elasticache", region)
        key = client("kms", region).describe_key(KeyId="alias/good-key")["KeyMetadata"]["Arn"]
        ec.create_replication_group(
            ReplicationGroupId="good-cache", ReplicationGroupDescription="hardened", Engine="redis",
            CacheNodeType="cache.t4g.micro", NumCacheClusters=2, AutomaticFailoverEnabled=True,
            MultiAZEnabled=True, AtRestEncryptionEnabled=True, KmsKeyId=key, TransitEncryptionEnabled=True,
            TransitEncryptionMode="required", AuthToken="Xx-long-auth-token-1234567890",
            SnapshotRetentionLimit=7, AutoMinorVersionUpgrade=True,
        )
        ec.create_replication_group(
            ReplicationGroupId="bad-cache-open", ReplicationGroupDescription="defaults", Engine="redis",
            CacheNodeType="cache.t4g.micro", NumCacheClusters=1, AutoMinorVersionUpgrade=False,
        )

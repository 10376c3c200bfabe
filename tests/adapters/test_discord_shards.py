"""Discord shards split across replicas: DISCORD_SHARD_IDS / DISCORD_SHARD_COUNT reach the client."""

from __future__ import annotations

import discord

from bot.adapters.discord import build_client
from bot.ops.settings import Settings


async def test_a_replica_runs_only_its_shards() -> None:
    settings = Settings.from_mapping({"DISCORD_SHARD_IDS": "2-3", "DISCORD_SHARD_COUNT": "4"})
    client = build_client(settings)
    assert isinstance(client, discord.AutoShardedClient)
    assert (client.shard_ids, client.shard_count) == ([2, 3], 4)


async def test_without_shard_settings_discord_decides() -> None:
    client = build_client(Settings())
    assert isinstance(client, discord.AutoShardedClient)
    assert client.shard_ids is None
    assert not client.shard_count  # None until Discord says how many
    fixed = build_client(Settings(discord_shard_count=3))
    assert isinstance(fixed, discord.AutoShardedClient)
    assert (fixed.shard_ids, fixed.shard_count) == (None, 3)  # all three shards in this process

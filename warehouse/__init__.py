"""HIM analytics warehouse: the extract contract, the loader, generations and the `him` CLI."""

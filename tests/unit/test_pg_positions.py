"""What a worker's commits tell other processes: one channel per schema, ``name=position`` pairs."""

from __future__ import annotations

from infrastructure.pg_positions import decode_positions, encode_positions, positions_channel


def test_positions_channel_and_payload() -> None:
    assert positions_channel("t_abc") == "learnstream_positions_t_abc"
    long_a, long_b = positions_channel("s" * 60), positions_channel("s" * 59 + "t")
    assert len(long_a.encode()) <= 63 and long_a != long_b
    told = {"catalog": 12, "search": 9}
    assert decode_positions(encode_positions(told)) == told
    assert decode_positions("catalog=12 broken search=x =4 content=7") == {"catalog": 12, "content": 7}

"""Why a broker is unreachable, in the words a user can act on, from what gRPC says (the detail
texts below are grpcio 1.85's, as it reports them for each case)."""

from __future__ import annotations

import pytest

from workbench.client.broker_client import _last_words

PREFIX = "failed to connect to all addresses; last error: UNKNOWN: ipv4:127.0.0.1:5356: "


@pytest.mark.parametrize(
    ("details", "said"),
    [
        (PREFIX + "Failed to connect to remote host: Connection refused", "Connection refused"),
        (
            "Socket closed (recvmsg: Connection reset by peer (104))",
            "Connection reset by peer (104)",
        ),
        (
            PREFIX + "Tls handshake failed (TSI_PROTOCOL_FAILURE): SSL_ERROR_SSL: error:100000f7:"
            "SSL routines:OPENSSL_internal:WRONG_VERSION_NUMBER: Invalid certificate verification"
            " context: OK",
            "the TLS handshake failed: the broker answers without TLS on this port",
        ),
        (
            PREFIX + "Ssl handshake failed: SSL_ERROR_SSL: error:1000007d:SSL routines:"
            "OPENSSL_internal:CERTIFICATE_VERIFY_FAILED: self signed certificate",
            "the TLS handshake failed: the broker's certificate is not trusted",
        ),
        ("", "no answer"),
    ],
)
def test_the_reason_shown_is_the_part_a_user_can_act_on(details: str, said: str) -> None:
    assert _last_words(details) == said

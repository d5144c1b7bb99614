package dev.workloadidentity.spring.testsupport.servicebus;

import java.util.concurrent.TimeUnit;

import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import dev.workloadidentity.spring.testsupport.token.InvalidTokenException;
import org.apache.qpid.proton.amqp.UnsignedLong;
import org.apache.qpid.proton.amqp.transport.SenderSettleMode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The wire behaviour the Service Bus SDK relies on, or never exercises on purpose, checked with a bare AMQP
 * client: links without a token, the CBS reply and its settlement in both modes, the attach's max message size.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FakeServiceBusProtocolTest {

    private static final String NAMESPACE = "fake-ns.servicebus.windows.net";

    private static final String TOKEN = "raw-client-token";

    private static FakeAzureTls tls;

    private FakeServiceBus fake;

    @BeforeAll
    static void createCertificate() {
        tls = FakeAzureTls.jvmDefault();
    }

    @BeforeEach
    void startFake() {
        this.fake = new FakeServiceBus(tls.serverContext(), NAMESPACE, (token) -> {
            if (!TOKEN.equals(token)) {
                throw new InvalidTokenException("unknown token");
            }
        });
    }

    @AfterEach
    void stopFake() {
        this.fake.close();
    }

    @Test
    void linkWithoutTokenIsRefusedAsUnauthorized() {
        RawAmqpClient.Outcome outcome = RawAmqpClient.attachSender(this.fake, tls.clientContext(), "orders", null,
                SenderSettleMode.SETTLED);

        assertThat(outcome.timedOut).isFalse();
        assertThat(outcome.linkOpened).isFalse();
        assertThat(outcome.linkError).isNotNull();
        assertThat(outcome.linkError.getCondition().toString()).isEqualTo("amqp:unauthorized-access");
        assertThat(outcome.linkError.getDescription())
            .contains("amqp://fake-ns.servicebus.windows.net/orders");
        assertThat(this.fake.refusedLinks()).containsExactly("orders");
        assertThat(this.fake.acceptedPutTokens()).isZero();
    }

    @Test
    void linkWithTokenForAnotherEntityIsRefused() {
        RawAmqpClient.Outcome outcome = RawAmqpClient.attachSender(this.fake, tls.clientContext(), "orders", TOKEN,
                SenderSettleMode.SETTLED, "amqp://fake-ns.servicebus.windows.net/ord");

        assertThat(outcome.replyProperty("status-code")).isEqualTo(202);
        assertThat(outcome.linkOpened).isFalse();
        assertThat(outcome.linkError.getCondition().toString()).isEqualTo("amqp:unauthorized-access");
        assertThat(this.fake.refusedLinks()).containsExactly("orders");
    }

    @ParameterizedTest
    @EnumSource(value = SenderSettleMode.class, names = { "SETTLED", "UNSETTLED" })
    void putTokenReplyCorrelatesAndIsSettledForTheLinkSettleMode(SenderSettleMode mode) {
        RawAmqpClient.Outcome outcome = RawAmqpClient.attachSender(this.fake, tls.clientContext(), "orders", TOKEN,
                mode);

        assertThat(outcome.timedOut).isFalse();
        assertThat(outcome.replyCorrelationId()).isEqualTo(UnsignedLong.valueOf(7));
        assertThat(outcome.replyProperty("status-code")).isInstanceOf(Integer.class).isEqualTo(202);
        assertThat(outcome.replyPresettled).isEqualTo(mode == SenderSettleMode.SETTLED);
        assertThat(outcome.replySettledByFake).isEqualTo(mode == SenderSettleMode.UNSETTLED);
        assertThat(outcome.linkOpened).isTrue();
        assertThat(outcome.maxMessageSize).isEqualTo(UnsignedLong.valueOf(256 * 1024));
        assertThat(this.fake.acceptedPutTokens()).isEqualTo(1);
        assertThat(this.fake.refusedLinks()).isEmpty();
    }

    @Test
    void rejectedPutTokenRepliesUnauthorizedWithReasonAndLeavesLinkRefused() {
        RawAmqpClient.Outcome outcome = RawAmqpClient.attachSender(this.fake, tls.clientContext(), "orders",
                "some-other-token", SenderSettleMode.SETTLED);

        assertThat(outcome.replyProperty("status-code")).isEqualTo(401);
        assertThat((String) outcome.replyProperty("status-description")).isEqualTo("unknown token")
            .doesNotContain("some-other-token");
        assertThat(outcome.linkError.getCondition().toString()).isEqualTo("amqp:unauthorized-access");
        assertThat(this.fake.rejectedPutTokens()).isEqualTo(1);
        assertThat(this.fake.acceptedPutTokens()).isZero();
    }

}

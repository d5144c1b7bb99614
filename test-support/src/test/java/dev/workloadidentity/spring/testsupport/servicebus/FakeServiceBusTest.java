package dev.workloadidentity.spring.testsupport.servicebus;

import java.text.MessageFormat;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import com.azure.core.amqp.AmqpRetryOptions;
import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.messaging.servicebus.ServiceBusClientBuilder;
import com.azure.messaging.servicebus.ServiceBusException;
import com.azure.messaging.servicebus.ServiceBusFailureReason;
import com.azure.messaging.servicebus.ServiceBusMessage;
import com.azure.messaging.servicebus.ServiceBusReceivedMessage;
import com.azure.messaging.servicebus.ServiceBusReceiverClient;
import com.azure.messaging.servicebus.ServiceBusSenderClient;
import com.azure.messaging.servicebus.models.ServiceBusReceiveMode;
import dev.workloadidentity.spring.testsupport.MutableClock;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import dev.workloadidentity.spring.testsupport.token.AccessTokenValidator;
import dev.workloadidentity.spring.testsupport.token.InvalidTokenException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The real Service Bus SDK against the fake over real TLS, with a credential that returns a fixed string and a
 * validator that accepts only that string.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FakeServiceBusTest {

    private static final String NAMESPACE = "fake-ns.servicebus.windows.net";

    private static final String TOKEN = "fixed-test-token";

    private static final AccessTokenValidator ONLY_THE_TEST_TOKEN = (token) -> {
        if (!TOKEN.equals(token)) {
            throw new InvalidTokenException("not the test token");
        }
    };

    private static FakeAzureTls tls;

    private FakeServiceBus fake;

    @BeforeAll
    static void trustFakeAzure() {
        tls = FakeAzureTls.jvmDefault(); // before any client: the SDK's AMQP TLS uses SSLContext.getDefault()
    }

    @AfterEach
    void stopFake() {
        if (this.fake != null) {
            this.fake.close();
        }
    }

    @Test
    void completedMessageIsReceivedExactlyOnce() {
        this.fake = new FakeServiceBus(tls.serverContext(), NAMESPACE, ONLY_THE_TEST_TOKEN);
        send(fixedToken(TOKEN), "orders", "hello over AMQP");

        try (ServiceBusReceiverClient receiver = peekLockReceiver("orders")) {
            List<ServiceBusReceivedMessage> messages = receive(receiver, 1, Duration.ofSeconds(10));
            assertThat(messages).singleElement().satisfies((message) -> {
                assertThat(message.getBody().toString()).isEqualTo("hello over AMQP");
                assertThat(message.getLockToken()).isNotBlank();
                assertThat(message.getSequenceNumber()).isEqualTo(1);
                assertThat(message.getDeliveryCount()).isZero();
                assertThat(message.getEnqueuedTime()).isNotNull();
                assertThat(message.getLockedUntil()).isAfter(OffsetDateTime.now());
            });
            receiver.complete(messages.get(0));
        }
        assertThat(this.fake.activeMessageCount("orders")).isZero();
        try (ServiceBusReceiverClient receiver = peekLockReceiver("orders")) {
            assertThat(receive(receiver, 1, Duration.ofSeconds(2))).isEmpty();
        }
        assertThat(this.fake.receivedMessages("orders")).containsExactly("hello over AMQP");
        assertThat(this.fake.acceptedPutTokens()).isEqualTo(3); // one per link: sender, two receivers
        assertThat(this.fake.rejectedPutTokens()).isZero();
        assertThat(this.fake.refusedLinks()).isEmpty();
    }

    @Test
    void messageNotCompletedIsDeliveredAgain() {
        this.fake = new FakeServiceBus(tls.serverContext(), NAMESPACE, ONLY_THE_TEST_TOKEN);
        send(fixedToken(TOKEN), "orders", "try again");

        try (ServiceBusReceiverClient receiver = peekLockReceiver("orders")) {
            receiver.abandon(receive(receiver, 1, Duration.ofSeconds(10)).get(0));
            assertThat(receive(receiver, 1, Duration.ofSeconds(10))).singleElement()
                .satisfies((message) -> assertThat(message.getDeliveryCount()).isEqualTo(1));
        } // closing the receiver loses the lock
        try (ServiceBusReceiverClient receiver = peekLockReceiver("orders")) {
            ServiceBusReceivedMessage message = receive(receiver, 1, Duration.ofSeconds(10)).get(0);
            assertThat(message.getBody().toString()).isEqualTo("try again");
            assertThat(message.getDeliveryCount()).isEqualTo(2);
            receiver.complete(message);
        }
        assertThat(this.fake.activeMessageCount("orders")).isZero();
    }

    @Test
    void batchIsQueuedInOrderAndReceiveAndDeleteRemovesIt() {
        this.fake = new FakeServiceBus(tls.serverContext(), NAMESPACE, ONLY_THE_TEST_TOKEN);
        try (ServiceBusSenderClient sender = clientBuilder(fixedToken(TOKEN)).sender().queueName("orders")
            .buildClient()) {
            sender.sendMessages(List.of(new ServiceBusMessage("one"), new ServiceBusMessage("two"),
                    new ServiceBusMessage("three")));
        }
        assertThat(this.fake.receivedMessages("orders")).containsExactly("one", "two", "three");

        try (ServiceBusReceiverClient receiver = clientBuilder(fixedToken(TOKEN)).receiver()
            .queueName("orders")
            .receiveMode(ServiceBusReceiveMode.RECEIVE_AND_DELETE)
            .buildClient()) {
            List<ServiceBusReceivedMessage> messages = receive(receiver, 3, Duration.ofSeconds(10));
            assertThat(messages).extracting((message) -> message.getBody().toString())
                .containsExactly("one", "two", "three");
            assertThat(messages).extracting(ServiceBusReceivedMessage::getSequenceNumber).containsExactly(1L, 2L, 3L);
        }
        assertThat(this.fake.activeMessageCount("orders")).isZero();
    }

    @Test
    void rejectedTokenFailsTheSendWithTheService401Quickly() {
        this.fake = new FakeServiceBus(tls.serverContext(), NAMESPACE, ONLY_THE_TEST_TOKEN);
        long start = System.nanoTime();

        assertThatExceptionOfType(ServiceBusException.class)
            .isThrownBy(() -> send(fixedToken("stolen-token"), "orders", "never stored"))
            .withMessageContaining("status-code: 401")
            .withMessageContaining("not the test token")
            .withMessageNotContaining("stolen-token")
            .satisfies((ex) -> assertThat(ex.getReason()).isEqualTo(ServiceBusFailureReason.UNAUTHORIZED));

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
        assertThat(this.fake.rejectedPutTokens()).isEqualTo(1);
        assertThat(this.fake.acceptedPutTokens()).isZero();
        assertThat(this.fake.receivedMessages("orders")).isEmpty();
    }

    @Test
    void renewedTokenIsValidatedAgainAndExtendsTheAuthorization() {
        List<String> validated = new CopyOnWriteArrayList<>();
        this.fake = new FakeServiceBus(tls.serverContext(), NAMESPACE, validated::add);
        AtomicInteger issued = new AtomicInteger();
        List<OffsetDateTime> expiries = new CopyOnWriteArrayList<>();
        // 3 s tokens: the SDK puts a fresh one on the same connection after 90% of the remaining lifetime.
        TokenCredential shortLived = (request) -> Mono.fromSupplier(() -> {
            OffsetDateTime expiresAt = OffsetDateTime.now().plusSeconds(3);
            expiries.add(expiresAt);
            return new AccessToken("token-" + issued.incrementAndGet(), expiresAt);
        });

        try (ServiceBusSenderClient sender = clientBuilder(shortLived).sender().queueName("orders").buildClient()) {
            sender.sendMessage(new ServiceBusMessage("with the first token"));
            // Past the first token's expiry, the link works only if renewals replaced the authorization.
            await().atMost(Duration.ofSeconds(15))
                .until(() -> OffsetDateTime.now().isAfter(expiries.get(0).plusNanos(500_000_000))
                        && this.fake.acceptedPutTokens() >= 2);
            sender.sendMessage(new ServiceBusMessage("after the first token expired"));
        }

        assertThat(validated).startsWith("token-1", "token-2").doesNotHaveDuplicates();
        assertThat(this.fake.receivedMessages("orders")).containsExactly("with the first token",
                "after the first token expired");
        assertThat(this.fake.rejectedPutTokens()).isZero();
        assertThat(this.fake.refusedLinks()).isEmpty();
    }

    @Test
    void linkIsRefusedNewWorkOnceItsTokenExpired() {
        MutableClock clock = new MutableClock(Instant.now());
        this.fake = new FakeServiceBus(tls.serverContext(), NAMESPACE, ONLY_THE_TEST_TOKEN, clock);

        try (ServiceBusSenderClient sender = clientBuilder(fixedToken(TOKEN)).sender().queueName("orders")
            .buildClient()) {
            sender.sendMessage(new ServiceBusMessage("while valid"));
            clock.advance(Duration.ofHours(2)); // past the token's expiry, with no renewal in between

            assertThatExceptionOfType(ServiceBusException.class)
                .isThrownBy(() -> sender.sendMessage(new ServiceBusMessage("after expiry")))
                .withMessageContaining("expired")
                .satisfies((ex) -> assertThat(ex.getReason()).isEqualTo(ServiceBusFailureReason.UNAUTHORIZED));
        }
        assertThat(this.fake.refusedLinks()).containsExactly("orders");
        assertThat(this.fake.receivedMessages("orders")).containsExactly("while valid");
    }

    @Test
    void connectionForAnotherNamespaceIsRefused() {
        this.fake = new FakeServiceBus(tls.serverContext(), "other-ns.servicebus.windows.net", ONLY_THE_TEST_TOKEN);
        List<String> logged = new CopyOnWriteArrayList<>();
        Logger logger = Logger.getLogger(ServiceBusHandler.class.getName());
        Handler capture = new Handler() {

            @Override
            public void publish(LogRecord record) {
                logged.add(MessageFormat.format(record.getMessage(), record.getParameters()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }

        };
        logger.addHandler(capture);
        try (ServiceBusSenderClient sender = clientBuilder(fixedToken(TOKEN), Duration.ofSeconds(1)).sender()
            .queueName("orders")
            .buildClient()) {
            // The SDK takes a refused open for a transient error and retries until the try timeout.
            assertThatExceptionOfType(RuntimeException.class)
                .isThrownBy(() -> sender.sendMessage(new ServiceBusMessage("wrong namespace")));
        }
        finally {
            logger.removeHandler(capture);
        }
        assertThat(logged).contains("Refused a connection for host name fake-ns.servicebus.windows.net");
        assertThat(this.fake.acceptedPutTokens() + this.fake.rejectedPutTokens()).isZero();
        assertThat(this.fake.receivedMessages("orders")).isEmpty();
    }

    private void send(TokenCredential credential, String queue, String body) {
        try (ServiceBusSenderClient sender = clientBuilder(credential).sender().queueName(queue).buildClient()) {
            sender.sendMessage(new ServiceBusMessage(body));
        }
    }

    private ServiceBusReceiverClient peekLockReceiver(String queue) {
        return clientBuilder(fixedToken(TOKEN)).receiver()
            .queueName(queue)
            .receiveMode(ServiceBusReceiveMode.PEEK_LOCK)
            .disableAutoComplete()
            .maxAutoLockRenewDuration(Duration.ZERO) // renewal needs $management, which the fake does not serve
            .buildClient();
    }

    private static List<ServiceBusReceivedMessage> receive(ServiceBusReceiverClient receiver, int count,
            Duration wait) {
        return receiver.receiveMessages(count, wait).stream().toList();
    }

    private ServiceBusClientBuilder clientBuilder(TokenCredential credential) {
        return clientBuilder(credential, Duration.ofSeconds(5));
    }

    private ServiceBusClientBuilder clientBuilder(TokenCredential credential, Duration tryTimeout) {
        return new ServiceBusClientBuilder().credential(NAMESPACE, credential)
            .customEndpointAddress(this.fake.customEndpointAddress())
            .retryOptions(new AmqpRetryOptions().setMaxRetries(1)
                .setDelay(Duration.ofMillis(100))
                .setTryTimeout(tryTimeout));
    }

    private static TokenCredential fixedToken(String token) {
        return (request) -> Mono.just(new AccessToken(token, OffsetDateTime.now().plusHours(1)));
    }

}

package dev.workloadidentity.spring.testsupport.servicebus;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.azure.core.amqp.AmqpRetryOptions;
import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.util.IterableStream;
import com.azure.messaging.servicebus.ServiceBusClientBuilder;
import com.azure.messaging.servicebus.ServiceBusMessage;
import com.azure.messaging.servicebus.ServiceBusReceivedMessage;
import com.azure.messaging.servicebus.ServiceBusReceiverClient;
import com.azure.messaging.servicebus.ServiceBusSenderClient;
import com.azure.messaging.servicebus.models.ServiceBusReceiveMode;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import dev.workloadidentity.spring.testsupport.token.InvalidTokenException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FakeServiceBusTest {

    private static final String NAMESPACE = "fake-ns.servicebus.windows.net";

    private static final String TOKEN = "fixed-test-token";

    private static FakeAzureTls tls;

    private FakeServiceBus fake;

    @BeforeAll
    static void trustFakeAzure() {
        tls = FakeAzureTls.jvmDefault();
    }

    @AfterEach
    void stopFake() {
        if (this.fake != null) {
            this.fake.close();
        }
    }

    @Test
    void sentMessageIsReceivedOnceAndCompleted() {
        this.fake = new FakeServiceBus(tls.serverContext(), NAMESPACE, (token) -> {
            if (!TOKEN.equals(token)) {
                throw new InvalidTokenException("not the test token");
            }
        });
        ServiceBusClientBuilder builder = clientBuilder(fixedToken(TOKEN));
        try (ServiceBusSenderClient sender = builder.sender().queueName("orders").buildClient()) {
            sender.sendMessage(new ServiceBusMessage("hello over AMQP"));
        }
        try (ServiceBusReceiverClient receiver = builder.receiver()
            .queueName("orders")
            .receiveMode(ServiceBusReceiveMode.PEEK_LOCK)
            .disableAutoComplete()
            .maxAutoLockRenewDuration(Duration.ZERO)
            .buildClient()) {
            IterableStream<ServiceBusReceivedMessage> received = receiver.receiveMessages(1, Duration.ofSeconds(10));
            List<ServiceBusReceivedMessage> messages = received.stream().toList();
            assertThat(messages).hasSize(1);
            assertThat(messages.get(0).getBody().toString()).isEqualTo("hello over AMQP");
            receiver.complete(messages.get(0));
        }
        assertThat(this.fake.receivedMessages("orders")).containsExactly("hello over AMQP");
        assertThat(this.fake.activeMessageCount("orders")).isZero();
        assertThat(this.fake.acceptedPutTokens()).isEqualTo(2);
        assertThat(this.fake.rejectedPutTokens()).isZero();
    }

    private ServiceBusClientBuilder clientBuilder(TokenCredential credential) {
        return new ServiceBusClientBuilder().credential(NAMESPACE, credential)
            .customEndpointAddress(this.fake.customEndpointAddress())
            .retryOptions(new AmqpRetryOptions().setMaxRetries(1).setTryTimeout(Duration.ofSeconds(10)));
    }

    private static TokenCredential fixedToken(String token) {
        return (request) -> Mono.just(new AccessToken(token, OffsetDateTime.now().plusHours(1)));
    }

}

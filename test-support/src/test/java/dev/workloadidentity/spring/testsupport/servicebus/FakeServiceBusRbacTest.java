package dev.workloadidentity.spring.testsupport.servicebus;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import com.azure.core.amqp.AmqpRetryOptions;
import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.messaging.servicebus.ServiceBusClientBuilder;
import com.azure.messaging.servicebus.ServiceBusException;
import com.azure.messaging.servicebus.ServiceBusFailureReason;
import com.azure.messaging.servicebus.ServiceBusMessage;
import com.azure.messaging.servicebus.ServiceBusReceiverAsyncClient;
import com.azure.messaging.servicebus.ServiceBusSenderClient;
import dev.workloadidentity.spring.testsupport.entra.FakeEntra;
import dev.workloadidentity.spring.testsupport.tls.FakeAzureTls;
import dev.workloadidentity.spring.testsupport.token.Jwt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.tuple;

/**
 * Role assignments on the fake namespace, with Entra access tokens of two identities: the put-token of either
 * is accepted, and only the one holding a role may attach, as with Azure RBAC on Service Bus.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FakeServiceBusRbacTest {

    private static final String NAMESPACE = "fake-ns.servicebus.windows.net";

    private static final String RESOURCE = "https://servicebus.azure.net";

    private static final String WRITER = UUID.randomUUID().toString();

    private static final String READER = UUID.randomUUID().toString();

    private static FakeAzureTls tls;

    private static FakeEntra entra;

    private FakeServiceBus fake;

    @BeforeAll
    static void startEntra() {
        tls = FakeAzureTls.jvmDefault(); // before any client: the SDK's AMQP TLS uses SSLContext.getDefault()
        entra = FakeEntra.start(UUID.randomUUID().toString());
    }

    @AfterAll
    static void stopEntra() {
        entra.close();
    }

    @AfterEach
    void stopFake() {
        if (this.fake != null) {
            this.fake.close();
        }
    }

    @Test
    void senderWhoseIdentityHoldsARoleSendsAndItsClientIdIsRecorded() {
        this.fake = start().assignRole(WRITER);

        send(tokenOf(WRITER), "orders", "from the writer");

        assertThat(this.fake.receivedMessages("orders")).containsExactly("from the writer");
        assertThat(this.fake.putTokenRequests()).isNotEmpty()
            .extracting(PutTokenRequest::audience, PutTokenRequest::status, PutTokenRequest::clientId)
            .containsOnly(tuple("amqp://" + NAMESPACE + "/orders", 202, WRITER));
        assertThat(this.fake.refusedLinks()).isEmpty();
    }

    @Test
    void senderWithAValidTokenOfAnIdentityWithoutARoleIsRefusedTheSendClaimAtAttach() {
        this.fake = start().assignRole(WRITER);

        assertThatExceptionOfType(ServiceBusException.class)
            .isThrownBy(() -> send(tokenOf(READER), "orders", "from the reader"))
            .withMessageContaining("Unauthorized access. 'Send' claim(s) are required to perform this operation.")
            .withMessageContaining("Resource: 'sb://" + NAMESPACE + "/orders'")
            .satisfies((ex) -> assertThat(ex.getReason()).isEqualTo(ServiceBusFailureReason.UNAUTHORIZED));

        assertThat(this.fake.putTokenRequests()).isNotEmpty()
            .allSatisfy((request) -> assertThat(request.accepted()).isTrue())
            .extracting(PutTokenRequest::clientId)
            .containsOnly(READER);
        assertThat(this.fake.refusedLinks()).contains("orders");
        assertThat(this.fake.receivedMessages("orders")).isEmpty();
    }

    @Test
    void receiverWithAValidTokenOfAnIdentityWithoutARoleIsRefusedTheListenClaim() {
        this.fake = start().assignRole(WRITER);

        try (ServiceBusReceiverAsyncClient receiver = clientBuilder(tokenOf(READER)).receiver()
            .queueName("orders")
            .disableAutoComplete()
            .maxAutoLockRenewDuration(Duration.ZERO)
            .buildAsyncClient()) {
            assertThatExceptionOfType(ServiceBusException.class)
                .isThrownBy(() -> receiver.receiveMessages().blockFirst(Duration.ofSeconds(20)))
                .withMessageContaining("'Listen' claim(s) are required");
        }
        assertThat(this.fake.putTokenRequests()).extracting(PutTokenRequest::clientId).contains(READER);
    }

    @Test
    void withNoRoleAssignedAValidTokenOfAnyIdentityIsServed() {
        this.fake = start();

        send(tokenOf(READER), "orders", "anyone may send");

        assertThat(this.fake.receivedMessages("orders")).containsExactly("anyone may send");
        assertThat(this.fake.putTokenRequests()).extracting(PutTokenRequest::clientId).containsOnly(READER);
    }

    @Test
    void forgedTokenOfARoleHolderIsRejectedAtPutTokenWithoutAClientId() {
        this.fake = start().assignRole(WRITER);
        String forged = Jwt.sign(entra.accessTokenClaims(WRITER, RESOURCE), Jwt.generateKeyPair().getPrivate());

        assertThatExceptionOfType(ServiceBusException.class)
            .isThrownBy(() -> send(fixedToken(forged), "orders", "forged"))
            .withMessageContaining("status-code: 401")
            .withMessageNotContaining(forged);

        assertThat(this.fake.putTokenRequests()).isNotEmpty()
            .extracting(PutTokenRequest::status, PutTokenRequest::clientId)
            .containsOnly(tuple(401, null));
    }

    private FakeServiceBus start() {
        return new FakeServiceBus(tls.serverContext(), NAMESPACE, entra.accessTokenValidator(RESOURCE));
    }

    private void send(TokenCredential credential, String queue, String body) {
        try (ServiceBusSenderClient sender = clientBuilder(credential).sender().queueName(queue).buildClient()) {
            sender.sendMessage(new ServiceBusMessage(body));
        }
    }

    private ServiceBusClientBuilder clientBuilder(TokenCredential credential) {
        return new ServiceBusClientBuilder().credential(NAMESPACE, credential)
            .customEndpointAddress(this.fake.customEndpointAddress())
            .retryOptions(new AmqpRetryOptions().setMaxRetries(1)
                .setDelay(Duration.ofMillis(100))
                .setTryTimeout(Duration.ofSeconds(5)));
    }

    private static TokenCredential tokenOf(String clientId) {
        return fixedToken(entra.issueAccessToken(clientId, RESOURCE));
    }

    private static TokenCredential fixedToken(String token) {
        return (request) -> Mono.just(new AccessToken(token, OffsetDateTime.now().plusHours(1)));
    }

}

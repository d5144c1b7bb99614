package dev.workloadidentity.spring.testsupport.servicebus;

import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.workloadidentity.spring.testsupport.MutableClock;
import dev.workloadidentity.spring.testsupport.rbac.RoleAssignments;
import dev.workloadidentity.spring.testsupport.servicebus.CbsNode.Authorizations;
import dev.workloadidentity.spring.testsupport.token.InvalidTokenException;
import dev.workloadidentity.spring.testsupport.token.Jwt;
import dev.workloadidentity.spring.testsupport.token.JwtClaims;
import org.apache.qpid.proton.Proton;
import org.apache.qpid.proton.amqp.UnsignedLong;
import org.apache.qpid.proton.amqp.messaging.AmqpValue;
import org.apache.qpid.proton.amqp.messaging.ApplicationProperties;
import org.apache.qpid.proton.message.Message;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

class CbsNodeTest {

    private static final String NAMESPACE = "fake-ns.servicebus.windows.net";

    private static final String ORDERS = "amqp://fake-ns.servicebus.windows.net/orders";

    private static final KeyPair SIGNING_KEYS = Jwt.generateKeyPair();

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-03T12:00:00Z"));

    private final List<String> validated = new ArrayList<>();

    private final RoleAssignments roles = new RoleAssignments();

    private final CbsNode cbs = new CbsNode(NAMESPACE, (token) -> {
        this.validated.add(token);
        if (token.startsWith("bad")) {
            throw new InvalidTokenException("signature check failed for " + token);
        }
        if (token.startsWith("boom")) {
            throw new IllegalStateException("validator bug");
        }
    }, this.roles, this.clock);

    private final Authorizations authorizations = new Authorizations();

    @Test
    void acceptedPutTokenRepliesWithIntegerStatusAndCorrelationId() {
        Message reply = this.cbs.handle(putToken("good", ORDERS, in(Duration.ofHours(1))), this.authorizations);

        assertThat(reply.getCorrelationId()).isEqualTo(UnsignedLong.valueOf(42));
        assertThat(property(reply, "status-code")).isInstanceOf(Integer.class).isEqualTo(202);
        assertThat(property(reply, "status-description")).isEqualTo("Accepted");
        assertThat(this.validated).containsExactly("good");
        assertThat(this.cbs.acceptedCount()).isEqualTo(1);
        assertThat(this.cbs.rejectedCount()).isZero();
    }

    @Test
    void authorizationCoversExactlyTheEntityUntilTheTokenExpires() {
        this.cbs.handle(putToken("good", ORDERS, in(Duration.ofHours(1))), this.authorizations);

        assertThat(this.cbs.authorizes(this.authorizations, "orders")).isTrue();
        assertThat(this.cbs.authorizes(this.authorizations, "ord")).isFalse();
        assertThat(this.cbs.authorizes(this.authorizations, "orders2")).isFalse();
        assertThat(this.cbs.authorizes(this.authorizations, "orders/subscriptions/all")).isFalse();
        this.clock.advance(Duration.ofHours(1));
        assertThat(this.cbs.authorizes(this.authorizations, "orders")).isFalse();
    }

    @Test
    void acceptedTokenOfAnIdentityWithoutARoleAuthorizesButHoldsNoRole() {
        this.roles.assign("writer");

        Message reply = this.cbs.handle(putToken(tokenOf("reader"), ORDERS, in(Duration.ofHours(1))),
                this.authorizations);

        assertThat(property(reply, "status-code")).isEqualTo(202);
        assertThat(this.cbs.authorizes(this.authorizations, "orders")).isTrue();
        assertThat(this.cbs.holdsRole(this.authorizations, "orders")).isFalse();
        assertThat(this.cbs.requests()).extracting(PutTokenRequest::audience, PutTokenRequest::status,
                PutTokenRequest::clientId)
            .containsExactly(tuple(ORDERS, 202, "reader"));
    }

    @Test
    void roleHolderOfTheNamespaceWideTokenHoldsTheRoleForEveryEntityUntilItExpires() {
        this.roles.assign("writer");
        this.cbs.handle(putToken(tokenOf("reader"), ORDERS, in(Duration.ofHours(2))), this.authorizations);
        this.cbs.handle(putToken(tokenOf("writer"), "amqp://fake-ns.servicebus.windows.net/", in(Duration.ofHours(1))),
                this.authorizations);

        assertThat(this.cbs.holdsRole(this.authorizations, "orders")).isTrue();
        assertThat(this.cbs.holdsRole(this.authorizations, "invoices")).isTrue();
        this.clock.advance(Duration.ofHours(1));
        assertThat(this.cbs.holdsRole(this.authorizations, "orders")).isFalse();
    }

    @Test
    void withNoRoleAssignedAnAcceptedTokenHoldsTheRoleAndRejectedOnesAreRecordedWithoutCaller() {
        this.cbs.handle(putToken("good", ORDERS, in(Duration.ofHours(1))), this.authorizations);
        this.cbs.handle(putToken("bad", ORDERS, in(Duration.ofHours(1))), this.authorizations);

        assertThat(this.cbs.holdsRole(this.authorizations, "orders")).isTrue();
        assertThat(this.cbs.holdsRole(this.authorizations, "invoices")).isFalse();
        assertThat(this.cbs.requests()).extracting(PutTokenRequest::status, PutTokenRequest::clientId)
            .containsExactly(tuple(202, null), tuple(401, null));
    }

    @Test
    void namespaceWideAudienceCoversEveryEntity() {
        this.cbs.handle(putToken("good", "amqp://fake-ns.servicebus.windows.net/", in(Duration.ofHours(1))),
                this.authorizations);

        assertThat(this.cbs.authorizes(this.authorizations, "orders")).isTrue();
        assertThat(this.cbs.authorizes(this.authorizations, "invoices")).isTrue();
    }

    @Test
    void renewedTokenReplacesTheExpiry() {
        this.cbs.handle(putToken("good-1", ORDERS, in(Duration.ofMinutes(5))), this.authorizations);
        this.clock.advance(Duration.ofMinutes(4));
        this.cbs.handle(putToken("good-2", ORDERS, in(Duration.ofMinutes(5))), this.authorizations);
        this.clock.advance(Duration.ofMinutes(4));

        assertThat(this.cbs.authorizes(this.authorizations, "orders")).isTrue();
        assertThat(this.validated).containsExactly("good-1", "good-2");
        assertThat(this.cbs.acceptedCount()).isEqualTo(2);
    }

    @Test
    void rejectedRenewalLeavesTheEarlierAuthorizationToRunOut() {
        this.cbs.handle(putToken("good", ORDERS, in(Duration.ofMinutes(5))), this.authorizations);
        this.clock.advance(Duration.ofMinutes(4));
        Message reply = this.cbs.handle(putToken("bad", ORDERS, in(Duration.ofMinutes(5))), this.authorizations);

        assertThat(property(reply, "status-code")).isEqualTo(401);
        assertThat(this.cbs.authorizes(this.authorizations, "orders")).isTrue();
        this.clock.advance(Duration.ofMinutes(1));
        assertThat(this.cbs.authorizes(this.authorizations, "orders")).isFalse();
    }

    @Test
    void validatorRejectionGivesItsReasonWithoutTheToken() {
        Message reply = this.cbs.handle(putToken("bad-secret", ORDERS, in(Duration.ofHours(1))),
                this.authorizations);

        assertThat(property(reply, "status-code")).isEqualTo(401);
        assertThat(property(reply, "status-description")).isEqualTo("signature check failed for <token>");
        assertThat(this.cbs.authorizes(this.authorizations, "orders")).isFalse();
        assertThat(this.cbs.rejectedCount()).isEqualTo(1);
    }

    @Test
    void failingValidatorGives500() {
        Message reply = this.cbs.handle(putToken("boom", ORDERS, in(Duration.ofHours(1))), this.authorizations);

        assertThat(property(reply, "status-code")).isEqualTo(500);
        assertThat(this.cbs.authorizes(this.authorizations, "orders")).isFalse();
        assertThat(this.cbs.rejectedCount()).isEqualTo(1);
    }

    @Test
    void onlyJwtTokensAreAccepted() {
        Message request = putToken("good", ORDERS, in(Duration.ofHours(1)));
        properties(request).put("type", "servicebus.windows.net:sastoken");

        Message reply = this.cbs.handle(request, this.authorizations);

        assertThat(property(reply, "status-code")).isEqualTo(401);
        assertThat(this.validated).isEmpty();
    }

    @Test
    void audienceOfAnotherNamespaceIsRejected() {
        Message reply = this.cbs.handle(
                putToken("good", "amqp://other-ns.servicebus.windows.net/orders", in(Duration.ofHours(1))),
                this.authorizations);

        assertThat(property(reply, "status-code")).isEqualTo(401);
        assertThat(this.validated).isEmpty();
    }

    @Test
    void expiredTokenIsRejectedBeforeValidation() {
        Message reply = this.cbs.handle(putToken("good", ORDERS, in(Duration.ofSeconds(-1))), this.authorizations);

        assertThat(property(reply, "status-code")).isEqualTo(401);
        assertThat((String) property(reply, "status-description")).startsWith("The token expired");
        assertThat(this.validated).isEmpty();
    }

    @Test
    void malformedRequestsAreBadRequests() {
        Message noExpiration = putToken("good", ORDERS, in(Duration.ofHours(1)));
        properties(noExpiration).remove("expiration");
        Message binaryBody = putToken("good", ORDERS, in(Duration.ofHours(1)));
        binaryBody.setBody(new AmqpValue(new byte[] { 1 }));
        Message otherOperation = putToken("good", ORDERS, in(Duration.ofHours(1)));
        properties(otherOperation).put("operation", "delete-token");

        assertThat(property(this.cbs.handle(noExpiration, this.authorizations), "status-code")).isEqualTo(400);
        assertThat(property(this.cbs.handle(binaryBody, this.authorizations), "status-code")).isEqualTo(400);
        assertThat(property(this.cbs.handle(otherOperation, this.authorizations), "status-code")).isEqualTo(400);
        assertThat(this.validated).isEmpty();
        assertThat(this.cbs.authorizes(this.authorizations, "orders")).isFalse();
    }

    /** A JWT naming a client id; this node's validator accepts any token not starting with "bad". */
    private static String tokenOf(String clientId) {
        return Jwt.sign(JwtClaims.builder().claim("appid", clientId).build(), SIGNING_KEYS.getPrivate());
    }

    private Date in(Duration duration) {
        return Date.from(this.clock.instant().plus(duration));
    }

    private static Message putToken(String token, String audience, Date expiration) {
        Map<String, Object> properties = new HashMap<>();
        properties.put("operation", "put-token");
        properties.put("type", "jwt");
        properties.put("name", audience);
        properties.put("expiration", expiration);
        Message request = Proton.message();
        request.setMessageId(UnsignedLong.valueOf(42));
        request.setReplyTo("cbs-client-reply-to");
        request.setApplicationProperties(new ApplicationProperties(properties));
        request.setBody(new AmqpValue(token));
        return request;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> properties(Message message) {
        return message.getApplicationProperties().getValue();
    }

    private static Object property(Message reply, String name) {
        return reply.getApplicationProperties().getValue().get(name);
    }

}

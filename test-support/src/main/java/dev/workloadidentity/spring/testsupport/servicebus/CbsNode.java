package dev.workloadidentity.spring.testsupport.servicebus;

import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import dev.workloadidentity.spring.testsupport.rbac.Caller;
import dev.workloadidentity.spring.testsupport.rbac.RoleAssignments;
import dev.workloadidentity.spring.testsupport.token.AccessTokenValidator;
import dev.workloadidentity.spring.testsupport.token.InvalidTokenException;
import org.apache.qpid.proton.Proton;
import org.apache.qpid.proton.amqp.messaging.AmqpValue;
import org.apache.qpid.proton.amqp.messaging.ApplicationProperties;
import org.apache.qpid.proton.message.Message;
import org.jspecify.annotations.Nullable;

/**
 * The namespace's claims-based security node ({@code $cbs}): answers put-token requests the way Service Bus
 * does and remembers, per connection, which audiences a valid token was put for, until when, and by which
 * identity; and the namespace's role assignments, checked when a link attaches.
 * <p>
 * A request is {@code application-properties {operation: "put-token", type: "jwt", name: <audience>,
 * expiration: <timestamp>}} with the token as an {@link AmqpValue} string body. The reply carries
 * {@code correlation-id} = the request's {@code message-id}, an {@link Integer} {@code status-code} (202, or
 * 400/401/500) and a {@code status-description} that never contains the token.
 * <p>
 * As in Service Bus, a valid token is accepted whether or not its identity holds a role: the role (the
 * {@code Send} or {@code Listen} claim) is checked when a link to an entity attaches, see {@link #holdsRole}.
 */
final class CbsNode {

    /** The node's link address. */
    static final String ADDRESS = "$cbs";

    private static final System.Logger logger = System.getLogger(CbsNode.class.getName());

    private final String fullyQualifiedNamespace;

    private final String namespaceAudience;

    private final AccessTokenValidator validator;

    private final RoleAssignments roles;

    private final Clock clock;

    private final List<PutTokenRequest> requests = new CopyOnWriteArrayList<>();

    private final AtomicInteger accepted = new AtomicInteger();

    private final AtomicInteger rejected = new AtomicInteger();

    CbsNode(String fullyQualifiedNamespace, AccessTokenValidator validator, Clock clock) {
        this(fullyQualifiedNamespace, validator, new RoleAssignments(), clock);
    }

    CbsNode(String fullyQualifiedNamespace, AccessTokenValidator validator, RoleAssignments roles, Clock clock) {
        this.fullyQualifiedNamespace = fullyQualifiedNamespace;
        this.namespaceAudience = "amqp://" + fullyQualifiedNamespace + "/";
        this.validator = validator;
        this.roles = roles;
        this.clock = clock;
    }

    /**
     * Returns the audience a token must be put for to use an entity, besides the namespace-wide one.
     * @param entityPath the entity path, e.g. {@code orders}
     * @return {@code amqp://{namespace}/{entityPath}}
     */
    String audienceOf(String entityPath) {
        return this.namespaceAudience + entityPath;
    }

    /**
     * Tells whether a connection may use an entity now: it put a token, still unexpired, for exactly the
     * entity's audience or for the whole namespace.
     * @param authorizations the connection's authorizations
     * @param entityPath the entity path
     * @return whether sending to or receiving from the entity is allowed
     */
    boolean authorizes(Authorizations authorizations, String entityPath) {
        Instant now = this.clock.instant();
        return authorizations.isValid(audienceOf(entityPath), now)
                || authorizations.isValid(this.namespaceAudience, now);
    }

    /**
     * Tells whether a connection may attach a link to an entity as far as roles go: one of the unexpired tokens
     * that {@linkplain #authorizes authorize} it (for the entity or the whole namespace) was put by an identity
     * holding a role on the namespace, or no role is assigned at all.
     * @param authorizations the connection's authorizations
     * @param entityPath the entity path
     * @return whether the caller has the claim the link needs
     */
    boolean holdsRole(Authorizations authorizations, String entityPath) {
        Instant now = this.clock.instant();
        for (String audience : List.of(audienceOf(entityPath), this.namespaceAudience)) {
            Authorizations.Grant grant = authorizations.valid(audience, now);
            if (grant != null && this.roles.permits(grant.clientId())) {
                return true;
            }
        }
        return false;
    }

    /**
     * Handles one request sent to {@code $cbs}.
     * @param request the request
     * @param authorizations the authorizations of the connection it came on, updated when a token is accepted
     * @return the reply, to send to the request's {@code reply-to}
     */
    Message handle(Message request, Authorizations authorizations) {
        Map<?, ?> properties = (request.getApplicationProperties() != null
                && request.getApplicationProperties().getValue() != null)
                        ? request.getApplicationProperties().getValue() : Map.of();
        Object operation = properties.get("operation");
        if (!"put-token".equals(operation)) {
            return reply(request, 400, "The $cbs node supports only put-token, not " + operation);
        }
        Object audience = properties.get("name");
        Object token = (request.getBody() instanceof AmqpValue value) ? value.getValue() : null;
        if (!(audience instanceof String) || !(token instanceof String)) {
            return reject(request, String.valueOf(audience), 400,
                    "put-token needs a string 'name' (the audience) and the token as an AmqpValue string body");
        }
        Object type = properties.get("type");
        if (!"jwt".equals(type)) {
            return reject(request, (String) audience, 401,
                    "Token type '" + type + "' is not accepted; only 'jwt' (Microsoft Entra) tokens are");
        }
        if (!((String) audience).startsWith(this.namespaceAudience)) {
            return reject(request, (String) audience, 401,
                    "The audience is not in namespace " + this.fullyQualifiedNamespace);
        }
        if (!(properties.get("expiration") instanceof Date expiration)) {
            return reject(request, (String) audience, 400, "put-token needs an 'expiration' timestamp");
        }
        if (!expiration.toInstant().isAfter(this.clock.instant())) {
            return reject(request, (String) audience, 401, "The token expired at " + expiration.toInstant());
        }
        try {
            this.validator.validate((String) token);
        }
        catch (InvalidTokenException ex) {
            String reason = (ex.getMessage() != null) ? ex.getMessage() : "The token was rejected";
            return reject(request, (String) audience, 401, reason.replace((String) token, "<token>"));
        }
        catch (RuntimeException ex) {
            return reject(request, (String) audience, 500,
                    "The fake's token validator failed with " + ex.getClass().getName());
        }
        String clientId = Caller.clientIdOf((String) token);
        authorizations.put((String) audience, expiration.toInstant(), clientId);
        this.requests.add(new PutTokenRequest(this.clock.instant(), (String) audience, 202, clientId));
        this.accepted.incrementAndGet();
        logger.log(System.Logger.Level.DEBUG, "put-token for {0} accepted until {1}", audience,
                expiration.toInstant());
        return reply(request, 202, "Accepted");
    }

    int acceptedCount() {
        return this.accepted.get();
    }

    int rejectedCount() {
        return this.rejected.get();
    }

    List<PutTokenRequest> requests() {
        return List.copyOf(this.requests);
    }

    private Message reject(Message request, String audience, int status, String description) {
        this.requests.add(new PutTokenRequest(this.clock.instant(), audience, status, null));
        this.rejected.incrementAndGet();
        logger.log(System.Logger.Level.INFO, "put-token for {0} rejected: {1} {2}", audience, status, description);
        return reply(request, status, description);
    }

    private static Message reply(Message request, int status, String description) {
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("status-code", status);
        properties.put("status-description", description);
        Message reply = Proton.message();
        reply.setCorrelationId(request.getMessageId());
        reply.setApplicationProperties(new ApplicationProperties(properties));
        return reply;
    }

    /**
     * What one connection is authorized for: audiences with the expiry and caller of the token last put for
     * each. A newer put-token for an audience replaces both; a rejected one leaves the earlier authorization to
     * run out. Used on the reactor thread only.
     */
    static final class Authorizations {

        private final Map<String, Grant> grantByAudience = new HashMap<>();

        void put(String audience, Instant expiresAt, @Nullable String clientId) {
            this.grantByAudience.put(audience, new Grant(expiresAt, clientId));
        }

        boolean isValid(String audience, Instant now) {
            return valid(audience, now) != null;
        }

        @Nullable Grant valid(String audience, Instant now) {
            Grant grant = this.grantByAudience.get(audience);
            return (grant != null && now.isBefore(grant.expiresAt())) ? grant : null;
        }

        /** An accepted token: until when it authorizes, and who put it ({@code null} when it names nobody). */
        record Grant(Instant expiresAt, @Nullable String clientId) {
        }

    }

}

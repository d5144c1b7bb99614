package dev.workloadidentity.spring.testsupport.servicebus;

import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

import javax.net.ssl.SSLContext;

import dev.workloadidentity.spring.testsupport.servicebus.CbsNode.Authorizations;
import org.apache.qpid.proton.Proton;
import org.apache.qpid.proton.amqp.Symbol;
import org.apache.qpid.proton.amqp.UnsignedLong;
import org.apache.qpid.proton.amqp.messaging.Accepted;
import org.apache.qpid.proton.amqp.messaging.Modified;
import org.apache.qpid.proton.amqp.messaging.Rejected;
import org.apache.qpid.proton.amqp.messaging.Released;
import org.apache.qpid.proton.amqp.messaging.Source;
import org.apache.qpid.proton.amqp.messaging.Target;
import org.apache.qpid.proton.amqp.transport.DeliveryState;
import org.apache.qpid.proton.amqp.transport.ErrorCondition;
import org.apache.qpid.proton.amqp.transport.ReceiverSettleMode;
import org.apache.qpid.proton.amqp.transport.SenderSettleMode;
import org.apache.qpid.proton.engine.BaseHandler;
import org.apache.qpid.proton.engine.Connection;
import org.apache.qpid.proton.engine.Delivery;
import org.apache.qpid.proton.engine.EndpointState;
import org.apache.qpid.proton.engine.Event;
import org.apache.qpid.proton.engine.Link;
import org.apache.qpid.proton.engine.Receiver;
import org.apache.qpid.proton.engine.Sender;
import org.apache.qpid.proton.engine.Session;
import org.apache.qpid.proton.engine.SslDomain;
import org.apache.qpid.proton.message.Message;
import org.jspecify.annotations.Nullable;

/**
 * The proton-j event handler that plays the Service Bus broker on every accepted connection: TLS, the
 * namespace host name check, {@code $cbs}, and sender and receiver links to entities, which it refuses
 * without a valid token. Runs on the reactor thread only, like every proton-j object it touches.
 */
final class ServiceBusHandler extends BaseHandler {

    /** What the fake announces on every attach; the SDK sizes its sends by it (256 KiB, the Standard tier). */
    static final UnsignedLong MAX_MESSAGE_SIZE = UnsignedLong.valueOf(256 * 1024);

    private static final int CREDIT = 100;

    private static final Duration LOCK_DURATION = Duration.ofSeconds(60);

    private static final Symbol UNAUTHORIZED_ACCESS = Symbol.valueOf("amqp:unauthorized-access");

    private static final Symbol NOT_FOUND = Symbol.valueOf("amqp:not-found");

    private static final Symbol NOT_IMPLEMENTED = Symbol.valueOf("amqp:not-implemented");

    private static final Symbol RESOURCE_LIMIT_EXCEEDED = Symbol.valueOf("amqp:resource-limit-exceeded");

    private static final Symbol MESSAGE_SIZE_EXCEEDED = Symbol.valueOf("amqp:link:message-size-exceeded");

    private static final Symbol MESSAGE_LOCK_LOST = Symbol.valueOf("com.microsoft:message-lock-lost");

    private static final Symbol CONNECTION_FORCED = Symbol.valueOf("amqp:connection:forced");

    private static final EnumSet<EndpointState> ANY_STATE = EnumSet.allOf(EndpointState.class);

    private static final System.Logger logger = System.getLogger(ServiceBusHandler.class.getName());

    private final SSLContext sslContext;

    private final String fullyQualifiedNamespace;

    private final CbsNode cbs;

    private final Namespace namespace;

    private final Clock clock;

    private final Set<Connection> connections = new LinkedHashSet<>();

    private final Map<EntityQueue, Set<Sender>> consumers = new HashMap<>();

    private @Nullable Runnable whenAllClosed;

    ServiceBusHandler(SSLContext sslContext, String fullyQualifiedNamespace, CbsNode cbs, Namespace namespace,
            Clock clock) {
        this.sslContext = sslContext;
        this.fullyQualifiedNamespace = fullyQualifiedNamespace;
        this.cbs = cbs;
        this.namespace = namespace;
        this.clock = clock;
    }

    /**
     * Closes every connection, telling the clients why.
     * @param whenAllClosed runs once no connection is left (at once when there is none)
     */
    void closeAll(Runnable whenAllClosed) {
        this.whenAllClosed = whenAllClosed;
        for (Connection connection : List.copyOf(this.connections)) {
            connection.setCondition(new ErrorCondition(CONNECTION_FORCED, "The fake Service Bus is shutting down"));
            connection.close();
        }
        runWhenAllClosed();
    }

    @Override
    public void onConnectionBound(Event event) {
        SslDomain domain = Proton.sslDomain();
        domain.init(SslDomain.Mode.SERVER);
        domain.setSslContext(this.sslContext);
        domain.setPeerAuthentication(SslDomain.VerifyMode.ANONYMOUS_PEER); // no client certificate
        event.getTransport().ssl(domain);
        event.getConnection().setContext(new Authorizations());
        this.connections.add(event.getConnection());
    }

    @Override
    public void onConnectionRemoteOpen(Event event) {
        Connection connection = event.getConnection();
        connection.setContainer("fake-servicebus");
        String hostname = connection.getRemoteHostname();
        if (!this.fullyQualifiedNamespace.equalsIgnoreCase(hostname)) {
            // Service Bus routes by the AMQP open hostname: the SDK sends the namespace, not the custom endpoint.
            connection.setCondition(new ErrorCondition(NOT_FOUND,
                    "This fake serves namespace " + this.fullyQualifiedNamespace + ", not '" + hostname + "'"));
            logger.log(System.Logger.Level.INFO, "Refused a connection for host name {0}", hostname);
            connection.open();
            connection.close();
            return;
        }
        logger.log(System.Logger.Level.DEBUG, "Connection opened for {0}", hostname);
        connection.open();
    }

    @Override
    public void onConnectionRemoteClose(Event event) {
        event.getConnection().close();
    }

    @Override
    public void onConnectionUnbound(Event event) {
        release(event.getConnection());
    }

    /**
     * Releases a connection once the client stopped sending. With TLS, proton-j's reactor may drop the socket
     * as soon as the client's close_notify arrives, without a TRANSPORT_CLOSED event (and so without
     * CONNECTION_UNBOUND), so this is where a closed connection is noticed.
     */
    @Override
    public void onTransportTailClosed(Event event) {
        release(event.getConnection());
    }

    @Override
    public void onTransportError(Event event) {
        logger.log(System.Logger.Level.DEBUG, "Transport error: {0}", event.getTransport().getCondition());
    }

    @Override
    public void onSessionRemoteOpen(Event event) {
        event.getSession().open();
    }

    @Override
    public void onSessionRemoteClose(Event event) {
        Session session = event.getSession();
        forEachLink(session.getConnection(), session, this::forget);
        session.close();
    }

    @Override
    public void onLinkRemoteOpen(Event event) {
        Link link = event.getLink();
        link.setSource(link.getRemoteSource());
        link.setTarget(link.getRemoteTarget());
        link.setSenderSettleMode(link.getRemoteSenderSettleMode());
        boolean incoming = link instanceof Receiver;
        String address = incoming ? address(link.getRemoteTarget()) : address(link.getRemoteSource());
        if (CbsNode.ADDRESS.equals(address)) {
            open(link, new LinkState(incoming ? Role.CBS_REQUESTS : Role.CBS_REPLIES, null));
            return;
        }
        String entityPath = entityPath(address);
        if (entityPath.isEmpty()) {
            refuse(link, new ErrorCondition(NOT_FOUND, "The link has no entity address"));
        }
        else if (entityPath.contains("$")) {
            refuse(link, new ErrorCondition(NOT_IMPLEMENTED, "The fake Service Bus has no " + address
                    + " node: it implements $cbs, sending, and receiving with complete and abandon"));
        }
        else if (!this.cbs.authorizes(authorizations(link), entityPath)) {
            this.namespace.linkRefused(address);
            refuse(link, unauthorized("no valid token was put on $cbs for " + this.cbs.audienceOf(entityPath)
                    + " on this connection"));
        }
        else if (!this.cbs.holdsRole(authorizations(link), entityPath)) {
            this.namespace.linkRefused(address);
            refuse(link, missingClaim(incoming ? "Send" : "Listen", entityPath));
        }
        else {
            EntityQueue entity = this.namespace.entity(entityPath);
            open(link, new LinkState(incoming ? Role.TO_ENTITY : Role.FROM_ENTITY, entity));
            if (link instanceof Sender sender) {
                this.consumers.computeIfAbsent(entity, (key) -> new LinkedHashSet<>()).add(sender);
                pump(sender);
            }
        }
    }

    @Override
    public void onLinkRemoteClose(Event event) {
        Link link = event.getLink();
        forget(link);
        if (link.getLocalState() != EndpointState.CLOSED) {
            link.close();
        }
    }

    @Override
    public void onLinkRemoteDetach(Event event) {
        Link link = event.getLink();
        forget(link);
        if (link.getLocalState() == EndpointState.ACTIVE) {
            link.detach();
        }
    }

    @Override
    public void onLinkFlow(Event event) {
        if (event.getLink() instanceof Sender sender) {
            pump(sender);
        }
    }

    @Override
    public void onDelivery(Event event) {
        Delivery delivery = event.getDelivery();
        LinkState state = state(delivery.getLink());
        if (delivery.getLink() instanceof Sender) {
            if (state != null && (delivery.getRemoteState() != null || delivery.remotelySettled())) {
                onDisposition(delivery, state);
            }
            return;
        }
        Receiver receiver = (Receiver) delivery.getLink();
        if (delivery.isPartial()) {
            return;
        }
        byte[] buffer = new byte[delivery.pending()];
        int length = receiver.recv(buffer, 0, buffer.length);
        byte[] bytes = (length == buffer.length) ? buffer : Arrays.copyOf(buffer, Math.max(length, 0));
        receiver.advance();
        if (delivery.isAborted() || state == null) {
            delivery.settle();
            return;
        }
        if (state.role() == Role.CBS_REQUESTS) {
            onCbsRequest(receiver, delivery, AmqpMessages.decode(bytes));
        }
        else {
            onEntityMessage(receiver, delivery, bytes, state);
        }
        if (receiver.getLocalState() == EndpointState.ACTIVE) {
            receiver.flow(1);
        }
    }

    private void onCbsRequest(Receiver receiver, Delivery delivery, Message request) {
        Connection connection = receiver.getSession().getConnection();
        Message reply = this.cbs.handle(request, authorizations(receiver));
        settle(delivery, Accepted.getInstance());
        Sender replyLink = replyLink(connection, request.getReplyTo());
        if (replyLink == null) {
            logger.log(System.Logger.Level.WARNING, "No $cbs reply link with target {0}", request.getReplyTo());
            return;
        }
        Delivery sent = send(replyLink, UUID.randomUUID(), AmqpMessages.encode(reply));
        if (replyLink.getSenderSettleMode() == SenderSettleMode.SETTLED) {
            sent.settle();
        }
    }

    private void onEntityMessage(Receiver receiver, Delivery delivery, byte[] bytes, LinkState state) {
        EntityQueue entity = state.entity();
        if (!this.cbs.authorizes(authorizations(receiver), entity.path())) {
            ErrorCondition expired = unauthorized("the token put on $cbs for " + this.cbs.audienceOf(entity.path())
                    + " expired; put a new one");
            settle(delivery, rejected(expired));
            this.namespace.linkRefused(address(receiver.getRemoteTarget()));
            forget(receiver);
            receiver.setCondition(expired);
            receiver.close();
            return;
        }
        if (bytes.length > MAX_MESSAGE_SIZE.longValue()) {
            settle(delivery, rejected(new ErrorCondition(MESSAGE_SIZE_EXCEEDED,
                    "The message is " + bytes.length + " bytes; the limit is " + MAX_MESSAGE_SIZE)));
            return;
        }
        List<byte[]> messages = AmqpMessages.unbatch(bytes, delivery.getMessageFormat());
        if (!entity.enqueue(messages, this.clock.instant())) {
            settle(delivery, rejected(new ErrorCondition(RESOURCE_LIMIT_EXCEEDED,
                    "Entity " + entity.path() + " is full; this fake keeps a bounded number of messages")));
            return;
        }
        settle(delivery, Accepted.getInstance());
        pumpConsumers(entity);
    }

    private void pumpConsumers(EntityQueue entity) {
        for (Sender consumer : List.copyOf(this.consumers.getOrDefault(entity, Set.of()))) {
            pump(consumer);
        }
    }

    /** Delivers waiting messages while the receiver has credit: peek-lock, or settled on send. */
    private void pump(Sender sender) {
        LinkState state = state(sender);
        if (state == null || state.role() != Role.FROM_ENTITY || sender.getLocalState() != EndpointState.ACTIVE
                || sender.getCredit() <= 0 || !this.connections.contains(sender.getSession().getConnection())) {
            return;
        }
        EntityQueue entity = state.entity();
        if (!this.cbs.authorizes(authorizations(sender), entity.path())) {
            this.namespace.linkRefused(address(sender.getRemoteSource()));
            forget(sender);
            sender.setCondition(unauthorized("the token put on $cbs for " + this.cbs.audienceOf(entity.path())
                    + " expired; put a new one"));
            sender.close();
            return;
        }
        boolean peekLock = sender.getSenderSettleMode() != SenderSettleMode.SETTLED; // else receive-and-delete
        while (sender.getCredit() > 0) {
            UUID lockToken = UUID.randomUUID();
            EntityQueue.StoredMessage message = entity.deliverNext(peekLock ? lockToken : null);
            if (message == null) {
                break;
            }
            Date lockedUntil = peekLock ? Date.from(this.clock.instant().plus(LOCK_DURATION)) : null;
            Delivery delivery = send(sender, lockToken,
                    AmqpMessages.encode(AmqpMessages.forDelivery(message, lockedUntil)));
            if (peekLock) {
                delivery.setContext(lockToken);
                state.locks().add(lockToken);
            }
            else {
                delivery.settle();
            }
        }
        if (sender.getDrain()) {
            sender.drained();
        }
    }

    /** The client settled a message it received: complete, abandon or dead-letter. */
    private void onDisposition(Delivery delivery, LinkState state) {
        if (state.role() != Role.FROM_ENTITY || !(delivery.getContext() instanceof UUID lockToken)) {
            // A CBS reply: echo the client's outcome, settled (proton sends no frame for a bare settle).
            settle(delivery, delivery.getRemoteState());
            return;
        }
        EntityQueue entity = state.entity();
        DeliveryState outcome = delivery.getRemoteState();
        state.locks().remove(lockToken);
        boolean held;
        if (outcome instanceof Accepted || outcome instanceof Rejected) {
            held = entity.complete(lockToken); // this fake keeps no dead-letter queue
        }
        else {
            held = entity.release(lockToken, !(outcome instanceof Released));
        }
        settle(delivery, held ? outcome : rejected(new ErrorCondition(MESSAGE_LOCK_LOST,
                "The lock on the message was lost")));
        pumpConsumers(entity);
    }

    /** Forgets a consumer link and returns the messages it held locked to its entity. */
    private void forget(Link link) {
        LinkState state = state(link);
        if (state == null || state.role() != Role.FROM_ENTITY) {
            return;
        }
        EntityQueue entity = state.entity();
        Set<Sender> entityConsumers = this.consumers.get(entity);
        if (entityConsumers != null) {
            entityConsumers.remove(link);
        }
        for (UUID lockToken : List.copyOf(state.locks())) {
            entity.release(lockToken, true);
        }
        state.locks().clear();
        pumpConsumers(entity);
    }

    private void open(Link link, LinkState state) {
        link.setContext(state);
        link.setMaxMessageSize(MAX_MESSAGE_SIZE);
        if (link instanceof Receiver receiver) {
            receiver.setReceiverSettleMode(ReceiverSettleMode.FIRST); // the fake settles what it receives at once
            receiver.open();
            receiver.flow(CREDIT);
        }
        else {
            link.setReceiverSettleMode(link.getRemoteReceiverSettleMode());
            link.open();
        }
    }

    /** Refuses an attach the AMQP way: an attach with no terminus, then a detach with the error. */
    private void refuse(Link link, ErrorCondition condition) {
        logger.log(System.Logger.Level.INFO, "Refused link {0}: {1}", link.getName(), condition);
        if (link instanceof Receiver) {
            link.setTarget(null);
        }
        else {
            link.setSource(null);
        }
        link.setCondition(condition);
        link.open();
        link.close();
    }

    /**
     * Forgets a finished connection: returns its consumers' locked messages and frees it. Freeing a connection
     * still bound to its transport only marks it: proton finalizes it when the reactor unbinds the transport,
     * which must happen only once, so this never unbinds.
     */
    private void release(@Nullable Connection connection) {
        if (connection == null || !this.connections.remove(connection)) {
            return;
        }
        forEachLink(connection, null, this::forget);
        connection.free();
        runWhenAllClosed();
    }

    private void runWhenAllClosed() {
        Runnable callback = this.whenAllClosed;
        if (callback != null && this.connections.isEmpty()) {
            this.whenAllClosed = null;
            callback.run();
        }
    }

    private static Delivery send(Sender sender, UUID tag, byte[] bytes) {
        ByteBuffer tagBytes = ByteBuffer.allocate(16); // the SDK reads a 16-byte tag as the lock token
        tagBytes.putLong(tag.getMostSignificantBits()).putLong(tag.getLeastSignificantBits());
        Delivery delivery = sender.delivery(tagBytes.array());
        sender.send(bytes, 0, bytes.length);
        sender.advance();
        return delivery;
    }

    private static void settle(Delivery delivery, @Nullable DeliveryState outcome) {
        if (!delivery.remotelySettled() && outcome != null) {
            delivery.disposition(outcome);
        }
        delivery.settle();
    }

    private static Rejected rejected(ErrorCondition condition) {
        Rejected rejected = new Rejected();
        rejected.setError(condition);
        return rejected;
    }

    /**
     * What Service Bus answers an attach whose token is valid but whose identity holds no role with the claim
     * the link needs ({@code Send} to send, {@code Listen} to receive), in its wording.
     */
    private ErrorCondition missingClaim(String claim, String entityPath) {
        return new ErrorCondition(UNAUTHORIZED_ACCESS, "Unauthorized access. '" + claim
                + "' claim(s) are required to perform this operation. Resource: 'sb://" + this.fullyQualifiedNamespace
                + "/" + entityPath + "'. TrackingId:" + UUID.randomUUID() + ", SystemTracker:"
                + this.fullyQualifiedNamespace + ":" + entityPath + ", Timestamp:" + this.clock.instant());
    }

    private static ErrorCondition unauthorized(String reason) {
        return new ErrorCondition(UNAUTHORIZED_ACCESS, "Unauthorized access: " + reason);
    }

    private static @Nullable Sender replyLink(Connection connection, @Nullable String replyTo) {
        List<Sender> matches = new ArrayList<>();
        forEachLink(connection, null, (link) -> {
            LinkState state = state(link);
            if (link instanceof Sender sender && state != null && state.role() == Role.CBS_REPLIES
                    && link.getLocalState() == EndpointState.ACTIVE && replyTo != null
                    && replyTo.equals(address(link.getRemoteTarget()))) {
                matches.add(sender);
            }
        });
        return matches.isEmpty() ? null : matches.get(0);
    }

    private static void forEachLink(Connection connection, @Nullable Session session,
            Consumer<Link> action) {
        List<Link> links = new ArrayList<>();
        for (Link link = connection.linkHead(ANY_STATE, ANY_STATE); link != null; link = link.next(ANY_STATE,
                ANY_STATE)) {
            if (session == null || link.getSession() == session) {
                links.add(link);
            }
        }
        links.forEach(action);
    }

    private static Authorizations authorizations(Link link) {
        return (Authorizations) link.getSession().getConnection().getContext();
    }

    private static @Nullable LinkState state(Link link) {
        return (link.getContext() instanceof LinkState state) ? state : null;
    }

    private static String address(org.apache.qpid.proton.amqp.transport.@Nullable Source source) {
        return (source instanceof Source amqpSource && amqpSource.getAddress() != null) ? amqpSource.getAddress()
                : "";
    }

    private static String address(org.apache.qpid.proton.amqp.transport.@Nullable Target target) {
        return (target instanceof Target amqpTarget && amqpTarget.getAddress() != null) ? amqpTarget.getAddress()
                : "";
    }

    /** The entity path of a link address: {@code orders}, or the path of {@code amqps://host/orders}. */
    private static String entityPath(String address) {
        String path = address;
        int scheme = path.indexOf("://");
        if (scheme >= 0) {
            int slash = path.indexOf('/', scheme + 3);
            path = (slash >= 0) ? path.substring(slash) : "";
        }
        while (path.startsWith("/")) {
            path = path.substring(1);
        }
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        return path;
    }

    private enum Role {

        /** The client's link sending put-token requests to {@code $cbs}. */
        CBS_REQUESTS,

        /** The link the fake sends put-token replies on. */
        CBS_REPLIES,

        /** A client sending messages to an entity. */
        TO_ENTITY,

        /** A client receiving messages from an entity, with the locks it holds. */
        FROM_ENTITY

    }

    private record LinkState(Role role, @Nullable EntityQueue entity, Set<UUID> locks) {

        LinkState(Role role, @Nullable EntityQueue entity) {
            this(role, entity, new HashSet<>());
        }

        @Override
        public EntityQueue entity() {
            if (this.entity == null) {
                throw new IllegalStateException(this.role + " links have no entity");
            }
            return this.entity;
        }

    }

}

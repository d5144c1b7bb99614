package dev.workloadidentity.spring.testsupport.servicebus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;

import javax.net.ssl.SSLContext;

import dev.workloadidentity.spring.testsupport.rbac.RoleAssignments;
import dev.workloadidentity.spring.testsupport.token.AccessTokenValidator;
import org.apache.qpid.proton.Proton;
import org.apache.qpid.proton.engine.BaseHandler;
import org.apache.qpid.proton.engine.Event;
import org.apache.qpid.proton.reactor.Acceptor;
import org.apache.qpid.proton.reactor.Reactor;
import org.apache.qpid.proton.reactor.ReactorOptions;
import org.apache.qpid.proton.reactor.impl.AcceptorImpl;
import org.jspecify.annotations.Nullable;

/**
 * A fake Azure Service Bus namespace: an AMQP 1.0 server over TLS on {@code 127.0.0.1} that authorizes
 * clients the way Service Bus does, through a CBS put-token of a Microsoft Entra access token checked by an
 * {@link AccessTokenValidator}, and then queues what senders send for peek-lock receivers.
 * <p>
 * Point the Service Bus SDK at it with the namespace it pretends to be plus the custom endpoint; the JVM must
 * trust {@code serverContext}'s certificate through {@link SSLContext#getDefault()}, because that is the only
 * trust the SDK's AMQP transport uses: <pre>{@code
 * new ServiceBusClientBuilder()
 *     .credential(fake.fullyQualifiedNamespace(), tokenCredential)
 *     .customEndpointAddress(fake.customEndpointAddress())
 * }</pre>
 * <p>
 * It serves SASL ANONYMOUS then CBS ({@code type=jwt} only); links to an entity need a valid unexpired token put
 * on the same connection for {@code amqp://{namespace}/{entity}} or {@code amqp://{namespace}/}, else they are
 * refused with {@code amqp:unauthorized-access}. Like a namespace using Azure RBAC, once an identity
 * {@linkplain #assignRole holds a role} on it a link also needs its token to have been put by such an identity:
 * the put-token is still accepted (202, as Service Bus accepts any valid token), and the attach is refused with
 * {@code amqp:unauthorized-access} "Unauthorized access. 'Send' claim(s) are required to perform this
 * operation." ({@code 'Listen'} for a receiver); while no role is assigned any valid token will do. Each
 * {@linkplain #putTokenRequests() put-token} records the caller's client id.
 * <p>
 * Entities are queues created on first use, each holding and remembering at most 1000 messages. Peek-lock locks are announced for 60 s but not timed: a lock is lost (and
 * the message delivered again) on abandon or when its link or connection closes. Not served:
 * {@code $management} (lock renewal, peek, scheduling), sessions, transactions, topic fan-out and dead-letter
 * queues. Tokens are never logged or kept.
 * <p>
 * The server starts listening in the constructor; {@link #close()} stops it.
 */
public final class FakeServiceBus implements AutoCloseable {

    private static final int ENTITY_CAPACITY = 1000;

    private static final Duration SHUTDOWN_GRACE = Duration.ofSeconds(2);

    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);

    private static final System.Logger logger = System.getLogger(FakeServiceBus.class.getName());

    private final String fullyQualifiedNamespace;

    private final RoleAssignments roles = new RoleAssignments();

    private final CbsNode cbs;

    private final Namespace namespace;

    private final Reactor reactor;

    private final int port;

    private final Thread reactorThread;

    private final AtomicBoolean closed = new AtomicBoolean();

    private volatile boolean stopRequested;

    private volatile @Nullable Throwable failure;

    /**
     * Starts a fake namespace on a free port of {@code 127.0.0.1}.
     * @param serverContext the TLS context presenting a certificate for {@code 127.0.0.1}
     * @param fullyQualifiedNamespace the namespace it pretends to be, e.g.
     * {@code fake-ns.servicebus.windows.net}
     * @param validator checks every token put on {@code $cbs}
     */
    public FakeServiceBus(SSLContext serverContext, String fullyQualifiedNamespace, AccessTokenValidator validator) {
        this(serverContext, fullyQualifiedNamespace, validator, Clock.systemUTC());
    }

    /** Starts a fake whose token expiry follows {@code clock}, for tests that let tokens expire. */
    FakeServiceBus(SSLContext serverContext, String fullyQualifiedNamespace, AccessTokenValidator validator,
            Clock clock) {
        Objects.requireNonNull(serverContext, "serverContext");
        Objects.requireNonNull(validator, "validator");
        if (fullyQualifiedNamespace.isBlank() || fullyQualifiedNamespace.contains("/")
                || fullyQualifiedNamespace.contains(":")) {
            throw new IllegalArgumentException("Expected a host name such as fake-ns.servicebus.windows.net, got '"
                    + fullyQualifiedNamespace + "'");
        }
        this.fullyQualifiedNamespace = fullyQualifiedNamespace;
        this.cbs = new CbsNode(fullyQualifiedNamespace, validator, this.roles, clock);
        this.namespace = new Namespace(ENTITY_CAPACITY);
        ServiceBusHandler handler = new ServiceBusHandler(serverContext, fullyQualifiedNamespace, this.cbs,
                this.namespace, clock);
        ReactorOptions options = new ReactorOptions();
        options.setEnableSaslByDefault(true); // the acceptor then offers SASL ANONYMOUS
        try {
            this.reactor = Proton.reactor(options);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not create the fake Service Bus reactor", ex);
        }
        try {
            Acceptor acceptor = this.reactor.acceptor("127.0.0.1", 0, handler);
            this.port = ((AcceptorImpl) acceptor).getPortNumber();
            this.reactor.setHandler(new Lifecycle(acceptor, handler));
        }
        catch (IOException ex) {
            this.reactor.free();
            throw new UncheckedIOException("Could not listen on 127.0.0.1", ex);
        }
        this.reactorThread = new Thread(this::runReactor, "fake-servicebus-" + this.port);
        this.reactorThread.setDaemon(true);
        this.reactorThread.start();
        logger.log(System.Logger.Level.DEBUG, "Fake Service Bus {0} listening on {1}", fullyQualifiedNamespace,
                customEndpointAddress());
    }

    /** @return what the SDK's {@code customEndpointAddress} needs: {@code https://127.0.0.1:<port>} */
    public String customEndpointAddress() {
        return "https://127.0.0.1:" + this.port;
    }

    /** @return the namespace host name clients must use as the AMQP host and in token audiences */
    public String fullyQualifiedNamespace() {
        return this.fullyQualifiedNamespace;
    }

    /** @return the TCP port the server listens on */
    public int port() {
        return this.port;
    }

    /**
     * Returns the bodies, as UTF-8 text, of the messages senders sent to an entity, oldest first, whether or
     * not they were received since; at most the last 1000.
     * @param entityPath the entity path, e.g. {@code orders} (case-insensitive)
     * @return the bodies, empty when nothing was sent
     */
    public List<String> receivedMessages(String entityPath) {
        EntityQueue entity = this.namespace.existingEntity(entityPath);
        return (entity != null) ? entity.history() : List.of();
    }

    /**
     * Returns how many messages of an entity are not completed yet: waiting, or locked by a receiver.
     * @param entityPath the entity path (case-insensitive)
     * @return the count
     */
    public int activeMessageCount(String entityPath) {
        EntityQueue entity = this.namespace.existingEntity(entityPath);
        return (entity != null) ? entity.activeCount() : 0;
    }

    /**
     * Drops the messages waiting in an entity, as a receive-and-delete consumer would, so that a long-running
     * sender never fills it; messages locked by a receiver and the history stay.
     * @param entityPath the entity path (case-insensitive)
     * @return how many messages were dropped
     */
    public int discardWaitingMessages(String entityPath) {
        EntityQueue entity = this.namespace.existingEntity(entityPath);
        return (entity != null) ? entity.discardAvailable() : 0;
    }

    /**
     * Assigns an identity a data role on the namespace, as {@code Azure Service Bus Data Owner} would (both the
     * {@code Send} and {@code Listen} claims): from now on links attach only with a token put by an identity
     * holding one. Links already attached stay.
     * @param clientId the application's client id, as in its tokens' {@code appid}
     * @return this
     */
    public FakeServiceBus assignRole(String clientId) {
        this.roles.assign(clientId);
        return this;
    }

    /**
     * Returns every put-token request answered so far, oldest first, with the caller's client id when the token
     * was accepted; never the token.
     * @return the requests
     */
    public List<PutTokenRequest> putTokenRequests() {
        return this.cbs.requests();
    }

    /** @return how many put-token requests were answered 202 */
    public int acceptedPutTokens() {
        return this.cbs.acceptedCount();
    }

    /** @return how many put-token requests were answered with an error status (400, 401 or 500) */
    public int rejectedPutTokens() {
        return this.cbs.rejectedCount();
    }

    /**
     * Returns the addresses of links refused with {@code amqp:unauthorized-access}, in order: attached without
     * a valid token on their connection, or by an identity without a role, or closed when new work arrived after
     * that token expired.
     * @return the link addresses
     */
    public List<String> refusedLinks() {
        return this.namespace.refusedLinks();
    }

    /**
     * Closes every connection (waiting briefly for clients to answer) and the listening socket, then stops the
     * reactor thread.
     * @throws IllegalStateException when the reactor failed while running or did not stop in time
     */
    @Override
    public void close() {
        if (!this.closed.compareAndSet(false, true)) {
            return;
        }
        this.stopRequested = true;
        this.reactor.wakeup();
        try {
            this.reactorThread.join(STOP_TIMEOUT.toMillis());
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while stopping the fake Service Bus", ex);
        }
        if (this.reactorThread.isAlive()) {
            throw new IllegalStateException("The fake Service Bus reactor did not stop within " + STOP_TIMEOUT);
        }
        Throwable failure = this.failure;
        if (failure != null) {
            throw new IllegalStateException("The fake Service Bus reactor failed", failure);
        }
    }

    private void runReactor() {
        try {
            this.reactor.run();
        }
        catch (Throwable ex) {
            this.failure = ex;
            logger.log(System.Logger.Level.ERROR, "The fake Service Bus reactor failed", ex);
        }
        finally {
            this.reactor.free(); // closes the sockets and the wake-up pipe
        }
    }

    /**
     * Reactor-level events: once {@link #close()} asked, stops accepting, closes the connections, and stops
     * the reactor when they are gone or the grace period ends. Runs on the reactor thread, as proton requires.
     */
    private final class Lifecycle extends BaseHandler {

        private final Acceptor acceptor;

        private final ServiceBusHandler handler;

        private boolean stopping;

        Lifecycle(Acceptor acceptor, ServiceBusHandler handler) {
            this.acceptor = acceptor;
            this.handler = handler;
        }

        @Override
        public void onReactorQuiesced(Event event) {
            if (!FakeServiceBus.this.stopRequested || this.stopping) {
                return;
            }
            this.stopping = true;
            Reactor reactor = event.getReactor();
            this.acceptor.close();
            reactor.schedule((int) SHUTDOWN_GRACE.toMillis(), new BaseHandler() {

                @Override
                public void onTimerTask(Event timer) {
                    timer.getReactor().stop();
                }

            });
            this.handler.closeAll(reactor::stop);
        }

    }

}

package dev.workloadidentity.spring.testsupport.servicebus;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.Map;

import javax.net.ssl.SSLContext;

import org.apache.qpid.proton.Proton;
import org.apache.qpid.proton.amqp.UnsignedLong;
import org.apache.qpid.proton.amqp.messaging.Accepted;
import org.apache.qpid.proton.amqp.messaging.AmqpValue;
import org.apache.qpid.proton.amqp.messaging.ApplicationProperties;
import org.apache.qpid.proton.amqp.messaging.Source;
import org.apache.qpid.proton.amqp.messaging.Target;
import org.apache.qpid.proton.amqp.transport.ErrorCondition;
import org.apache.qpid.proton.amqp.transport.ReceiverSettleMode;
import org.apache.qpid.proton.amqp.transport.SenderSettleMode;
import org.apache.qpid.proton.engine.BaseHandler;
import org.apache.qpid.proton.engine.Connection;
import org.apache.qpid.proton.engine.Delivery;
import org.apache.qpid.proton.engine.EndpointState;
import org.apache.qpid.proton.engine.Event;
import org.apache.qpid.proton.engine.Receiver;
import org.apache.qpid.proton.engine.Sender;
import org.apache.qpid.proton.engine.Session;
import org.apache.qpid.proton.engine.SslDomain;
import org.apache.qpid.proton.message.Message;
import org.apache.qpid.proton.reactor.Reactor;
import org.apache.qpid.proton.reactor.ReactorOptions;
import org.jspecify.annotations.Nullable;

/**
 * A bare proton-j client over TLS for what the Service Bus SDK never does on purpose: attach to an entity
 * without a put-token, or pick the CBS reply settle mode. It runs one script on the calling thread: optionally
 * put a token on {@code $cbs}, then attach a sender link to an entity, and report what the fake answered.
 */
final class RawAmqpClient extends BaseHandler {

    private static final UnsignedLong REQUEST_ID = UnsignedLong.valueOf(7);

    private static final int TIMEOUT_MILLIS = 10_000;

    private final FakeServiceBus fake;

    private final SSLContext clientContext;

    private final String entity;

    private final @Nullable String token;

    private final SenderSettleMode cbsSettleMode;

    private final String audience;

    private @Nullable Connection connection;

    private @Nullable Session session;

    private @Nullable Sender cbsSender;

    private @Nullable Receiver cbsReceiver;

    private @Nullable Sender entitySender;

    private boolean requestSent;

    private final Outcome outcome = new Outcome();

    private RawAmqpClient(FakeServiceBus fake, SSLContext clientContext, String entity, @Nullable String token,
            SenderSettleMode cbsSettleMode, String audience) {
        this.fake = fake;
        this.clientContext = clientContext;
        this.entity = entity;
        this.token = token;
        this.cbsSettleMode = cbsSettleMode;
        this.audience = audience;
    }

    /**
     * Attaches a sender link to an entity, after putting a token for it on {@code $cbs} when one is given.
     * @param fake the fake to connect to
     * @param clientContext trusts the fake's certificate
     * @param entity the entity to attach to
     * @param token the token to put first, or {@code null} to attach without one
     * @param cbsSettleMode the settle mode the CBS links ask for
     * @return what happened
     */
    static Outcome attachSender(FakeServiceBus fake, SSLContext clientContext, String entity, @Nullable String token,
            SenderSettleMode cbsSettleMode) {
        return attachSender(fake, clientContext, entity, token, cbsSettleMode,
                "amqp://" + fake.fullyQualifiedNamespace() + "/" + entity);
    }

    /**
     * Attaches a sender link to an entity after putting a token for the given audience.
     * @param fake the fake to connect to
     * @param clientContext trusts the fake's certificate
     * @param entity the entity to attach to
     * @param token the token to put first
     * @param cbsSettleMode the settle mode the CBS links ask for
     * @param audience the audience ({@code name}) of the put-token
     * @return what happened
     */
    static Outcome attachSender(FakeServiceBus fake, SSLContext clientContext, String entity, @Nullable String token,
            SenderSettleMode cbsSettleMode, String audience) {
        RawAmqpClient client = new RawAmqpClient(fake, clientContext, entity, token, cbsSettleMode, audience);
        try {
            ReactorOptions options = new ReactorOptions();
            options.setEnableSaslByDefault(true);
            Reactor reactor = Proton.reactor(options, client);
            try {
                reactor.run();
            }
            finally {
                reactor.free();
            }
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return client.outcome;
    }

    @Override
    public void onReactorInit(Event event) {
        Reactor reactor = event.getReactor();
        Connection connection = reactor.connectionToHost("127.0.0.1", this.fake.port(), this);
        connection.setHostname(this.fake.fullyQualifiedNamespace());
        connection.open();
        Session session = connection.session();
        session.open();
        this.connection = connection;
        this.session = session;
        if (this.token != null) {
            Sender sender = session.sender("cbs:sender");
            sender.setTarget(target(CbsNode.ADDRESS));
            sender.setSource(new Source());
            sender.setSenderSettleMode(this.cbsSettleMode);
            sender.open();
            Receiver receiver = session.receiver("cbs:receiver");
            receiver.setSource(source(CbsNode.ADDRESS));
            receiver.setTarget(target("cbs-client-reply-to"));
            receiver.setSenderSettleMode(this.cbsSettleMode);
            receiver.setReceiverSettleMode(ReceiverSettleMode.FIRST);
            receiver.open();
            receiver.flow(1);
            this.cbsSender = sender;
            this.cbsReceiver = receiver;
        }
        else {
            attachEntity();
        }
        reactor.schedule(TIMEOUT_MILLIS, new BaseHandler() {

            @Override
            public void onTimerTask(Event timer) {
                RawAmqpClient.this.outcome.timedOut = true;
                timer.getReactor().stop();
            }

        });
    }

    @Override
    public void onConnectionBound(Event event) {
        SslDomain domain = Proton.sslDomain();
        domain.init(SslDomain.Mode.CLIENT);
        domain.setSslContext(this.clientContext);
        domain.setPeerAuthentication(SslDomain.VerifyMode.VERIFY_PEER_NAME);
        event.getTransport().ssl(domain, Proton.sslPeerDetails("127.0.0.1", this.fake.port()));
    }

    @Override
    public void onLinkRemoteOpen(Event event) {
        if (event.getLink() == this.entitySender) {
            if (this.entitySender.getRemoteTarget() != null) {
                this.outcome.linkOpened = true;
                this.outcome.maxMessageSize = this.entitySender.getRemoteMaxMessageSize();
                finish();
            }
            return;
        }
        sendPutTokenWhenReady();
    }

    @Override
    public void onLinkFlow(Event event) {
        sendPutTokenWhenReady();
    }

    @Override
    public void onLinkRemoteClose(Event event) {
        if (event.getLink() == this.entitySender) {
            this.outcome.linkError = this.entitySender.getRemoteCondition();
            finish();
        }
    }

    @Override
    public void onDelivery(Event event) {
        Delivery delivery = event.getDelivery();
        if (delivery.getLink() != this.cbsReceiver) {
            if (delivery.getRemoteState() != null || delivery.remotelySettled()) {
                delivery.settle(); // the fake's disposition of our put-token request
            }
            return;
        }
        if (this.outcome.reply == null) {
            if (delivery.isPartial()) {
                return;
            }
            byte[] bytes = new byte[delivery.pending()];
            this.cbsReceiver.recv(bytes, 0, bytes.length);
            this.cbsReceiver.advance();
            this.outcome.reply = AmqpMessages.decode(bytes);
            this.outcome.replyPresettled = delivery.remotelySettled();
            if (delivery.remotelySettled()) {
                delivery.settle();
                attachEntity();
            }
            else {
                delivery.disposition(Accepted.getInstance()); // and wait for the fake to settle it
            }
        }
        else if (delivery.remotelySettled()) {
            this.outcome.replySettledByFake = true;
            delivery.settle();
            attachEntity();
        }
    }

    @Override
    public void onTransportTailClosed(Event event) {
        event.getReactor().stop();
    }

    @Override
    public void onTransportClosed(Event event) {
        event.getReactor().stop();
    }

    private void sendPutTokenWhenReady() {
        Sender sender = this.cbsSender;
        Receiver receiver = this.cbsReceiver;
        if (this.requestSent || sender == null || receiver == null
                || sender.getRemoteState() != EndpointState.ACTIVE || receiver.getRemoteState() != EndpointState.ACTIVE
                || sender.getCredit() <= 0) {
            return;
        }
        this.requestSent = true;
        Message request = Proton.message();
        request.setMessageId(REQUEST_ID);
        request.setReplyTo("cbs-client-reply-to");
        request.setApplicationProperties(new ApplicationProperties(Map.of("operation", "put-token", "type", "jwt",
                "name", this.audience, "expiration",
                Date.from(Instant.now().plusSeconds(3600)))));
        request.setBody(new AmqpValue(this.token));
        byte[] bytes = AmqpMessages.encode(request);
        Delivery delivery = sender.delivery("put-token".getBytes(StandardCharsets.UTF_8));
        sender.send(bytes, 0, bytes.length);
        sender.advance();
        if (this.cbsSettleMode == SenderSettleMode.SETTLED) {
            delivery.settle();
        }
    }

    private void attachEntity() {
        Sender sender = this.session.sender("raw-sender");
        sender.setTarget(target(this.entity));
        sender.setSource(new Source());
        sender.open();
        this.entitySender = sender;
    }

    private void finish() {
        this.connection.close();
    }

    private static Target target(String address) {
        Target target = new Target();
        target.setAddress(address);
        return target;
    }

    private static Source source(String address) {
        Source source = new Source();
        source.setAddress(address);
        return source;
    }

    /** What the fake answered. */
    static final class Outcome {

        @Nullable Message reply;

        boolean replyPresettled;

        boolean replySettledByFake;

        boolean linkOpened;

        @Nullable UnsignedLong maxMessageSize;

        @Nullable ErrorCondition linkError;

        boolean timedOut;

        Object replyCorrelationId() {
            return this.reply.getCorrelationId();
        }

        Object replyProperty(String name) {
            return this.reply.getApplicationProperties().getValue().get(name);
        }

    }

}

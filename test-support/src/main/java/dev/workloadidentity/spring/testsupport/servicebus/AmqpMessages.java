package dev.workloadidentity.spring.testsupport.servicebus;

import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.qpid.proton.Proton;
import org.apache.qpid.proton.amqp.Binary;
import org.apache.qpid.proton.amqp.Symbol;
import org.apache.qpid.proton.amqp.UnsignedInteger;
import org.apache.qpid.proton.amqp.messaging.AmqpValue;
import org.apache.qpid.proton.amqp.messaging.Data;
import org.apache.qpid.proton.amqp.messaging.Header;
import org.apache.qpid.proton.amqp.messaging.MessageAnnotations;
import org.apache.qpid.proton.amqp.messaging.Section;
import org.apache.qpid.proton.codec.AMQPDefinedTypes;
import org.apache.qpid.proton.codec.DecoderImpl;
import org.apache.qpid.proton.codec.DroppingWritableBuffer;
import org.apache.qpid.proton.codec.EncoderImpl;
import org.apache.qpid.proton.message.Message;
import org.jspecify.annotations.Nullable;

/**
 * Encoding and decoding of the AMQP messages the fake stores and delivers, including the Service Bus
 * broker annotations a receiver expects.
 */
final class AmqpMessages {

    /** Message format of a Service Bus batch: each {@link Data} section of the body is one encoded message. */
    static final int BATCH_MESSAGE_FORMAT = 0x80013700;

    private static final Symbol SEQUENCE_NUMBER = Symbol.valueOf("x-opt-sequence-number");

    private static final Symbol ENQUEUED_TIME = Symbol.valueOf("x-opt-enqueued-time");

    private static final Symbol LOCKED_UNTIL = Symbol.valueOf("x-opt-locked-until");

    private AmqpMessages() {
    }

    /**
     * Encodes a message, however large: into a buffer of its measured size that grows when proton's encoder
     * asks for more room than the measurement (its size checks are estimates).
     * @param message the message
     * @return the encoded bytes
     */
    static byte[] encode(Message message) {
        DroppingWritableBuffer sizer = new DroppingWritableBuffer();
        message.encode(sizer);
        int capacity = sizer.position() + 64;
        while (true) {
            byte[] buffer = new byte[capacity];
            try {
                int length = message.encode(buffer, 0, buffer.length);
                return Arrays.copyOf(buffer, length);
            }
            catch (BufferOverflowException | IndexOutOfBoundsException ex) {
                capacity *= 2;
            }
        }
    }

    static Message decode(byte[] bytes) {
        Message message = Proton.message();
        message.decode(bytes, 0, bytes.length);
        return message;
    }

    /**
     * Splits a delivery into the messages it carries: itself, or the messages of a Service Bus batch.
     * @param bytes the delivery payload
     * @param messageFormat the delivery's message format
     * @return the encoded messages
     */
    static List<byte[]> unbatch(byte[] bytes, int messageFormat) {
        if (messageFormat != BATCH_MESSAGE_FORMAT) {
            return List.of(bytes);
        }
        // Message.decode keeps only the first body section, so read the sections one by one.
        DecoderImpl decoder = new DecoderImpl();
        AMQPDefinedTypes.registerAllTypes(decoder, new EncoderImpl(decoder));
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        decoder.setByteBuffer(buffer);
        List<byte[]> messages = new ArrayList<>();
        while (buffer.hasRemaining()) {
            if (decoder.readObject() instanceof Data data) {
                messages.add(toArray(data.getValue()));
            }
        }
        return messages;
    }

    /**
     * Describes the body for tests and logs: the text of a {@link Data} or {@link AmqpValue} body.
     * @param message the message
     * @return the body as text, empty when there is none
     */
    static String bodyText(Message message) {
        Section body = message.getBody();
        if (body instanceof Data data) {
            return new String(toArray(data.getValue()), StandardCharsets.UTF_8);
        }
        if (body instanceof AmqpValue value) {
            return String.valueOf(value.getValue());
        }
        return (body != null) ? body.toString() : "";
    }

    /**
     * Builds the message a receiver gets: the stored message plus a header with the delivery count and the
     * broker annotations the Service Bus SDK reads.
     * @param stored the stored message
     * @param lockedUntil when the lock ends, or {@code null} when nothing is locked (receive and delete)
     * @return a fresh message, safe to encode
     */
    static Message forDelivery(EntityQueue.StoredMessage stored, @Nullable Date lockedUntil) {
        Message message = decode(stored.bytes());
        Header header = (message.getHeader() != null) ? message.getHeader() : new Header();
        header.setDeliveryCount(UnsignedInteger.valueOf(stored.deliveryCount()));
        message.setHeader(header);
        Map<Symbol, Object> annotations = new LinkedHashMap<>();
        if (message.getMessageAnnotations() != null && message.getMessageAnnotations().getValue() != null) {
            annotations.putAll(message.getMessageAnnotations().getValue());
        }
        annotations.put(SEQUENCE_NUMBER, stored.sequenceNumber());
        annotations.put(ENQUEUED_TIME, Date.from(stored.enqueuedTime()));
        if (lockedUntil != null) {
            annotations.put(LOCKED_UNTIL, lockedUntil);
        }
        message.setMessageAnnotations(new MessageAnnotations(annotations));
        return message;
    }

    private static byte[] toArray(Binary binary) {
        return Arrays.copyOfRange(binary.getArray(), binary.getArrayOffset(),
                binary.getArrayOffset() + binary.getLength());
    }

}

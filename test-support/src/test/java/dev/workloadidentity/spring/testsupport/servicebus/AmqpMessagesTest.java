package dev.workloadidentity.spring.testsupport.servicebus;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;

import org.apache.qpid.proton.Proton;
import org.apache.qpid.proton.amqp.Binary;
import org.apache.qpid.proton.amqp.Symbol;
import org.apache.qpid.proton.amqp.messaging.ApplicationProperties;
import org.apache.qpid.proton.amqp.messaging.Data;
import org.apache.qpid.proton.amqp.messaging.MessageAnnotations;
import org.apache.qpid.proton.message.Message;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class AmqpMessagesTest {

    @Test
    void encodesMessagesFarLargerThanAFixedBuffer() {
        byte[] body = new byte[1024 * 1024];
        Arrays.fill(body, (byte) 'x');
        Message message = Proton.message();
        message.setApplicationProperties(new ApplicationProperties(Map.of("k", "v")));
        message.setBody(new Data(new Binary(body)));

        byte[] encoded = AmqpMessages.encode(message);

        assertThat(encoded.length).isGreaterThan(body.length);
        assertThat(AmqpMessages.bodyText(AmqpMessages.decode(encoded))).hasSize(body.length);
    }

    @Test
    void splitsAServiceBusBatchIntoItsMessages() {
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        batch.writeBytes(AmqpMessages.encode(Proton.message()));
        for (String body : List.of("first", "second")) {
            Message section = Proton.message();
            section.setBody(new Data(new Binary(AmqpMessages.encode(textMessage(body)))));
            batch.writeBytes(AmqpMessages.encode(section));
        }

        List<byte[]> messages = AmqpMessages.unbatch(batch.toByteArray(), AmqpMessages.BATCH_MESSAGE_FORMAT);

        assertThat(messages).extracting((bytes) -> AmqpMessages.bodyText(AmqpMessages.decode(bytes)))
            .containsExactly("first", "second");
        assertThat(AmqpMessages.unbatch(new byte[] { 1 }, 0)).hasSize(1);
    }

    @Test
    void deliveredMessageCarriesHeaderAndBrokerAnnotations() {
        Message sent = textMessage("hello");
        sent.setMessageAnnotations(new MessageAnnotations(Map.of(Symbol.valueOf("x-opt-partition-key"), "p")));
        EntityQueue queue = new EntityQueue("orders", 10);
        queue.enqueue(List.of(AmqpMessages.encode(sent)), Instant.parse("2026-12-03T12:00:00Z"));
        Date lockedUntil = Date.from(Instant.parse("2026-12-03T12:01:00Z"));

        Message delivered = AmqpMessages.forDelivery(queue.deliverNext(null), lockedUntil);

        assertThat(delivered.getHeader().getDeliveryCount().intValue()).isZero();
        assertThat(delivered.getMessageAnnotations().getValue())
            .containsEntry(Symbol.valueOf("x-opt-sequence-number"), 1L)
            .containsEntry(Symbol.valueOf("x-opt-enqueued-time"), Date.from(Instant.parse("2026-12-03T12:00:00Z")))
            .containsEntry(Symbol.valueOf("x-opt-locked-until"), lockedUntil)
            .containsEntry(Symbol.valueOf("x-opt-partition-key"), "p");
        assertThat(AmqpMessages.bodyText(delivered)).isEqualTo("hello");
    }

    private static Message textMessage(String body) {
        Message message = Proton.message();
        message.setBody(new Data(new Binary(body.getBytes(StandardCharsets.UTF_8))));
        return message;
    }

}

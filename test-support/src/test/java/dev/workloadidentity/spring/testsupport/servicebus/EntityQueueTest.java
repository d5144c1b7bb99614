package dev.workloadidentity.spring.testsupport.servicebus;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import org.apache.qpid.proton.Proton;
import org.apache.qpid.proton.amqp.messaging.AmqpValue;
import org.apache.qpid.proton.message.Message;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EntityQueueTest {

    private static final Instant NOW = Instant.parse("2026-12-03T12:00:00Z");

    private final EntityQueue queue = new EntityQueue("orders", 3);

    @Test
    void completedMessageIsGoneAndSequenceNumbersIncrease() {
        this.queue.enqueue(List.of(message("a"), message("b")), NOW);
        UUID lock = UUID.randomUUID();

        EntityQueue.StoredMessage first = this.queue.deliverNext(lock);

        assertThat(first.sequenceNumber()).isEqualTo(1);
        assertThat(first.enqueuedTime()).isEqualTo(NOW);
        assertThat(this.queue.activeCount()).isEqualTo(2);
        assertThat(this.queue.complete(lock)).isTrue();
        assertThat(this.queue.complete(lock)).isFalse();
        assertThat(this.queue.activeCount()).isEqualTo(1);
        assertThat(this.queue.deliverNext(null).sequenceNumber()).isEqualTo(2);
        assertThat(this.queue.deliverNext(null)).isNull();
        assertThat(this.queue.activeCount()).isZero();
        assertThat(this.queue.history()).containsExactly("a", "b");
    }

    @Test
    void releasedMessageComesBackFirstWithItsDeliveryCount() {
        this.queue.enqueue(List.of(message("a"), message("b")), NOW);
        UUID lock = UUID.randomUUID();
        this.queue.deliverNext(lock);

        assertThat(this.queue.release(lock, true)).isTrue();
        EntityQueue.StoredMessage again = this.queue.deliverNext(UUID.randomUUID());
        assertThat(again.sequenceNumber()).isEqualTo(1);
        assertThat(again.deliveryCount()).isEqualTo(1);
    }

    @Test
    void fullQueueRefusesABatchAsAWhole() {
        assertThat(this.queue.enqueue(List.of(message("a"), message("b")), NOW)).isTrue();
        assertThat(this.queue.enqueue(List.of(message("c"), message("d")), NOW)).isFalse();
        assertThat(this.queue.activeCount()).isEqualTo(2);
        assertThat(this.queue.enqueue(List.of(message("c")), NOW)).isTrue();
        assertThat(this.queue.enqueue(List.of(message("d")), NOW)).isFalse();
    }

    @Test
    void discardingDropsWaitingMessagesButNotLockedOnesOrTheHistory() {
        this.queue.enqueue(List.of(message("a"), message("b"), message("c")), NOW);
        UUID lock = UUID.randomUUID();
        this.queue.deliverNext(lock);

        assertThat(this.queue.discardAvailable()).isEqualTo(2);
        assertThat(this.queue.activeCount()).isEqualTo(1);
        assertThat(this.queue.deliverNext(null)).isNull();
        assertThat(this.queue.complete(lock)).isTrue();
        assertThat(this.queue.enqueue(List.of(message("d"), message("e"), message("f")), NOW)).isTrue();
        assertThat(this.queue.history()).containsExactly("d", "e", "f");
    }

    @Test
    void historyKeepsTheLatestMessages() {
        for (String body : List.of("a", "b", "c", "d", "e")) {
            this.queue.deliverNext(null);
            this.queue.enqueue(List.of(message(body)), NOW);
        }

        assertThat(this.queue.history()).containsExactly("c", "d", "e");
    }

    private static byte[] message(String body) {
        Message message = Proton.message();
        message.setBody(new AmqpValue(body));
        return AmqpMessages.encode(message);
    }

}

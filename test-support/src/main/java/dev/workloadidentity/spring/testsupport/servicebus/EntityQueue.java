package dev.workloadidentity.spring.testsupport.servicebus;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.jspecify.annotations.Nullable;

/**
 * The messages of one entity (queue): those waiting, those locked by a peek-lock receiver until it settles
 * them, and a bounded history of everything senders sent, for tests to assert on. Thread-safe: the reactor
 * thread changes it while tests read it.
 */
final class EntityQueue {

    private final String path;

    private final int capacity;

    private final Deque<StoredMessage> available = new ArrayDeque<>();

    private final Map<UUID, StoredMessage> locked = new HashMap<>();

    private final Deque<String> history = new ArrayDeque<>();

    private long lastSequenceNumber;

    /**
     * Creates an empty queue.
     * @param path the entity path
     * @param capacity how many messages it holds (waiting plus locked), and how many it remembers
     */
    EntityQueue(String path, int capacity) {
        this.path = path;
        this.capacity = capacity;
    }

    String path() {
        return this.path;
    }

    /**
     * Stores messages, all or none: none when they would not fit.
     * @param messages the encoded messages as the sender sent them
     * @param now the enqueued time
     * @return whether the messages were stored
     */
    synchronized boolean enqueue(List<byte[]> messages, Instant now) {
        if (this.available.size() + this.locked.size() + messages.size() > this.capacity) {
            return false;
        }
        for (byte[] bytes : messages) {
            this.available.addLast(new StoredMessage(bytes, ++this.lastSequenceNumber, now));
            if (this.history.size() == this.capacity) {
                this.history.removeFirst();
            }
            this.history.addLast(AmqpMessages.bodyText(AmqpMessages.decode(bytes)));
        }
        return true;
    }

    /**
     * Drops the waiting messages, as a receive-and-delete consumer would take them; locked ones and the history
     * stay.
     * @return how many were dropped
     */
    synchronized int discardAvailable() {
        int count = this.available.size();
        this.available.clear();
        return count;
    }

    /**
     * Takes the next waiting message for delivery.
     * @param lockToken the lock to hold it under until settled, or {@code null} to remove it now (receive and
     * delete)
     * @return the message, or {@code null} when none is waiting
     */
    synchronized @Nullable StoredMessage deliverNext(@Nullable UUID lockToken) {
        StoredMessage next = this.available.pollFirst();
        if (next != null && lockToken != null) {
            this.locked.put(lockToken, next);
        }
        return next;
    }

    /**
     * Removes a locked message for good (complete, or dead-letter, which this fake does not keep).
     * @param lockToken its lock
     * @return whether the lock was held
     */
    synchronized boolean complete(UUID lockToken) {
        return this.locked.remove(lockToken) != null;
    }

    /**
     * Puts a locked message back at the head of the queue (abandon, or a lost lock).
     * @param lockToken its lock
     * @param countAsDelivered whether the attempt counts towards the message's delivery count
     * @return whether the lock was held
     */
    synchronized boolean release(UUID lockToken, boolean countAsDelivered) {
        StoredMessage message = this.locked.remove(lockToken);
        if (message == null) {
            return false;
        }
        if (countAsDelivered) {
            message.deliveryCount++;
        }
        this.available.addFirst(message);
        return true;
    }

    /** @return the bodies of the messages senders sent, oldest first, at most {@code capacity} of them */
    synchronized List<String> history() {
        return List.copyOf(this.history);
    }

    /** @return how many messages are waiting or locked, that is not yet completed */
    synchronized int activeCount() {
        return this.available.size() + this.locked.size();
    }

    /**
     * A message as stored: its encoded form, and what the broker adds on delivery. Only the reactor thread
     * changes the delivery count.
     */
    static final class StoredMessage {

        private final byte[] bytes;

        private final long sequenceNumber;

        private final Instant enqueuedTime;

        private int deliveryCount;

        StoredMessage(byte[] bytes, long sequenceNumber, Instant enqueuedTime) {
            this.bytes = bytes;
            this.sequenceNumber = sequenceNumber;
            this.enqueuedTime = enqueuedTime;
        }

        byte[] bytes() {
            return this.bytes;
        }

        long sequenceNumber() {
            return this.sequenceNumber;
        }

        Instant enqueuedTime() {
            return this.enqueuedTime;
        }

        int deliveryCount() {
            return this.deliveryCount;
        }

    }

}

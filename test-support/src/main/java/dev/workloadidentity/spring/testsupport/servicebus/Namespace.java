package dev.workloadidentity.spring.testsupport.servicebus;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.jspecify.annotations.Nullable;

/**
 * The entities of the fake namespace, created on first use, and the links it refused. Entity paths are
 * case-insensitive, as in Service Bus. Thread-safe: the reactor thread changes it while tests read it.
 */
final class Namespace {

    private final int entityCapacity;

    private final ConcurrentMap<String, EntityQueue> entities = new ConcurrentHashMap<>();

    private final List<String> refusedLinks = new CopyOnWriteArrayList<>();

    /**
     * Creates an empty namespace.
     * @param entityCapacity how many messages each entity holds and remembers
     */
    Namespace(int entityCapacity) {
        this.entityCapacity = entityCapacity;
    }

    EntityQueue entity(String path) {
        return this.entities.computeIfAbsent(key(path), (key) -> new EntityQueue(path, this.entityCapacity));
    }

    @Nullable EntityQueue existingEntity(String path) {
        return this.entities.get(key(path));
    }

    void linkRefused(String address) {
        this.refusedLinks.add(address);
    }

    List<String> refusedLinks() {
        return List.copyOf(this.refusedLinks);
    }

    private static String key(String path) {
        return path.toLowerCase(Locale.ROOT);
    }

}

package dev.workloadidentity.spring.sample;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import com.azure.core.util.BinaryData;
import com.azure.messaging.servicebus.ServiceBusMessage;
import com.azure.messaging.servicebus.ServiceBusReceivedMessage;
import com.azure.messaging.servicebus.ServiceBusReceiverClient;
import com.azure.messaging.servicebus.ServiceBusSenderClient;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.BlobStorageException;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Calls each service once with the clients Spring Cloud Azure built, signed in by the starter with the pod's workload
 * identity, or with the identity a client's {@code credential.token-credential-bean-name} names (the
 * {@code two-identities} profile gives Blob storage {@code blob-writer}). {@code GET /service-calls} returns one
 * outcome per service.
 */
@RestController
class ServiceCallsController {

    private static final Duration RECEIVE_WAIT = Duration.ofSeconds(10);

    private final SecretClient secrets;

    private final BlobServiceClient blobs;

    private final ServiceBusSenderClient sender;

    private final ServiceBusReceiverClient receiver;

    private final String secretName;

    private final String containerName;

    ServiceCallsController(SecretClient secrets, BlobServiceClient blobs, ServiceBusSenderClient sender,
            ServiceBusReceiverClient receiver, @Value("${sample.secret-name}") String secretName,
            @Value("${sample.container-name}") String containerName) {
        this.secrets = secrets;
        this.blobs = blobs;
        this.sender = sender;
        this.receiver = receiver;
        this.secretName = secretName;
        this.containerName = containerName;
    }

    @GetMapping("/service-calls")
    List<ServiceCall> callEachService() {
        return List.of(readSecret(), writeAndReadBlob(), sendAndReceiveMessage());
    }

    ServiceCall readSecret() {
        try {
            String value = this.secrets.getSecret(this.secretName).getValue();
            return ServiceCall.succeeded("keyvault", "secret '" + this.secretName + "' = '" + value + "'");
        }
        catch (Exception ex) {
            return ServiceCall.failed("keyvault", ex);
        }
    }

    ServiceCall writeAndReadBlob() {
        try {
            BlobContainerClient container = this.blobs.getBlobContainerClient(this.containerName);
            container.createIfNotExists();
            BlobClient blob = container.getBlobClient("hello-" + UUID.randomUUID() + ".txt");
            String text = "written with a workload identity";
            blob.upload(BinaryData.fromString(text));
            String readBack = blob.downloadContent().toString();
            return text.equals(readBack)
                    ? ServiceCall.succeeded("blob", "uploaded and read back " + blob.getBlobName())
                    : new ServiceCall("blob", false, "read back '" + readBack + "' instead of '" + text + "'");
        }
        catch (BlobStorageException ex) {
            // Its message starts with a hint about Shared Key signatures, whatever the credential: the code says more.
            return new ServiceCall("blob", false,
                    "BlobStorageException: status " + ex.getStatusCode() + ", " + ex.getErrorCode());
        }
        catch (Exception ex) {
            return ServiceCall.failed("blob", ex);
        }
    }

    ServiceCall sendAndReceiveMessage() {
        try {
            String body = "order " + UUID.randomUUID();
            this.sender.sendMessage(new ServiceBusMessage(body));
            for (ServiceBusReceivedMessage message : this.receiver.receiveMessages(10, RECEIVE_WAIT)) {
                this.receiver.complete(message);
                if (body.equals(new String(message.getBody().toBytes(), StandardCharsets.UTF_8))) {
                    return ServiceCall.succeeded("servicebus", "sent and received '" + body + "'");
                }
            }
            return new ServiceCall("servicebus", false, "sent '" + body + "' but did not receive it within "
                    + RECEIVE_WAIT.toSeconds() + " s");
        }
        catch (Exception ex) {
            return ServiceCall.failed("servicebus", ex);
        }
    }

}

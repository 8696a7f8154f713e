"""Several effects of one workflow carried out by one activity (one billable action).

The effect queue hands over the effects at the head of its queue that were queued
together: a registry write, the notice that goes with it, a certificate behind them
(`domain.effects.next_batch`). Their registry writes run first, then the rest, each in
the order queued and exactly as its own activity would run it, so a retried batch repeats
nothing: a registry write is keyed (a time limit never replaces a newer one), a notice
already sent is not sent again, a certificate already issued comes back as it was.

A fault that may pass (the relay or the registry is down) fails the whole attempt and
Temporal retries it; an effect that can never succeed is reported in its outcome, and
the effects behind it still run, as the queue would have run them one by one.
"""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.certificate import CertificateActivities
from activities.email import EmailActivities
from activities.registry import RegistryActivities
from domain.effects import Effect, EffectBatch, EffectKind, EffectOutcome
from domain.notices import DeliveryStatus


class EffectActivities:
    def __init__(
        self,
        registry: RegistryActivities,
        email: EmailActivities,
        certificate: CertificateActivities,
    ) -> None:
        self._registry = registry
        self._email = email
        self._certificate = certificate

    @activity.defn
    async def carry_out_effects(self, batch: EffectBatch) -> list[EffectOutcome]:
        """Carry out the batch: its registry writes first, then its notice and any
        certificate, each group in order; one outcome per effect, in the batch's order.

        A step's notice is queued before the next step's time limit, and the limit must
        not wait on the relay: an SMTP outage then holds up the email, not the inbox."""
        writes = [e for e in batch.effects if _registry_write(e)]
        ordered = writes + [e for e in batch.effects if not _registry_write(e)]
        outcomes: dict[int, EffectOutcome] = {}
        for effect in ordered:
            if outcomes:
                # Alive between effects, carrying forward what an earlier attempt told its
                # retry (that the relay took the notice), for the notice to read. Before
                # the first there is no need: the attempt has just started, and Temporal
                # keeps the earlier attempt's details until a heartbeat replaces them.
                activity.heartbeat(*activity.info().heartbeat_details)
            try:
                outcomes[id(effect)] = await self._carry_out(effect)
            except ApplicationError as error:
                if not error.non_retryable:
                    raise
                reason = f"{error.type or 'error'}: {error.message}"
                outcomes[id(effect)] = EffectOutcome(key=effect.key, error=reason)
        return [outcomes[id(e)] for e in batch.effects]

    async def _carry_out(self, effect: Effect) -> EffectOutcome:
        done = EffectOutcome(key=effect.key)
        if effect.kind == EffectKind.SEND_NOTICE and effect.notice is not None:
            delivery = await self._email.deliver(effect.notice)
            if delivery.status in (DeliveryStatus.FAILED, DeliveryStatus.PARTLY_FAILED):
                return EffectOutcome(key=effect.key, error=delivery.error)
        elif effect.event is not None:
            await self._registry.record_event(effect.event)
        elif effect.term_event is not None:
            await self._registry.record_term_event(effect.term_event)
        elif effect.deadline is not None:
            await self._registry.record_deadline(effect.deadline)
        elif effect.kind == EffectKind.ISSUE_CERTIFICATE and effect.certificate is not None:
            recognition = await self._certificate.issue_certificate(effect.certificate)
            return EffectOutcome(key=effect.key, recognition=recognition)
        return done


def _registry_write(effect: Effect) -> bool:
    return effect.kind in (
        EffectKind.RECORD_EVENT,
        EffectKind.RECORD_TERM_EVENT,
        EffectKind.RECORD_DEADLINE,
    )

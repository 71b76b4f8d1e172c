"""The one settings class of the guard (env prefix `SECURITY_`), read the same way by the security
service and by chat: thresholds, the optional classifier, the output guard's overlap threshold and
company secrets. A service that screens or guards in process builds its screener from here, so its
verdicts match the security service's (same thresholds, same classifier)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from libs.common.logging import get_logger
from libs.guard.output_guard import OutputGuard
from libs.guard.screening.screener import Classifier, Screener, Thresholds

log = get_logger(__name__)


class GuardSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SECURITY_", env_file=".env", extra="ignore")

    classifier_dir: Path | None = None  # folder with model.onnx + tokenizer.json (optional)
    classifier_min: float = Field(0.5, ge=0, le=1)
    classifier_weight: float = Field(0.9, ge=0, le=1)
    flag_threshold: float = Field(0.5, gt=0, le=1)
    block_threshold: float = Field(0.85, gt=0, le=1)
    max_message_chars: int = Field(6000, ge=100)
    overlap_block: float = Field(0.2, gt=0, le=1)  # share of system-prompt shingles that blocks a reply
    secrets: list[str] = Field(default_factory=list)  # company secrets the output guard always looks for

    def thresholds(self) -> Thresholds:
        return Thresholds(flag=self.flag_threshold, block=self.block_threshold, max_chars=self.max_message_chars,
                          classifier_min=self.classifier_min, classifier_weight=self.classifier_weight)

    def classifier(self) -> Classifier | None:
        """The ONNX classifier of `classifier_dir` (ConfigurationError when the folder is incomplete)."""
        if self.classifier_dir is None:
            return None
        from libs.guard.screening.classifier import OnnxClassifier

        classifier = OnnxClassifier(self.classifier_dir)
        log.info("security_classifier_loaded", folder=str(self.classifier_dir))
        return classifier

    def screener(self, classifier: Classifier | None = None) -> Screener:
        """The screener these settings describe: rules, the shipped model and the classifier if set."""
        return Screener(self.thresholds(), classifier if classifier is not None else self.classifier())

    def output_guard(self) -> OutputGuard:
        """The in-process output check with these secrets and this overlap threshold."""
        return OutputGuard(tuple(self.secrets), self.overlap_block)

"""The splits as TRL reads them: the sft split in TRL's conversational prompt-completion format, where only
the accepted answer is trained on, and the preference split in its conversational preference format. The
rows are the quickstart's (tests/shards/quickstart_rows.py); the tokenizer and the one-layer model are made
here from nothing, so nothing is downloaded."""

from __future__ import annotations

import re

import pytest

from shards.splits import split_tables

from tests.shards.quickstart_rows import quickstart_raw

datasets = pytest.importorskip("datasets")
trl = pytest.importorskip("trl")
transformers = pytest.importorskip("transformers")
tokenizers = pytest.importorskip("tokenizers")

from trl.data_utils import apply_chat_template, is_conversational  # noqa: E402

# A plain chat template: every turn is "<|role|> content <|end|>", and a generation prompt opens the assistant.
CHAT_TEMPLATE = ("{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} <|end|> {% endfor %}"
                 "{% if add_generation_prompt %}<|assistant|> {% endif %}")
SPECIALS = ["[UNK]", "[PAD]", "<|end|>", "<|system|>", "<|user|>", "<|assistant|>"]


def _words(text: str) -> list[str]:
    return re.findall(r"\w+|[^\w\s]", text)


def _tokenizer(texts: list[str]):
    """A word-level tokenizer whose vocabulary is every word of the rows, with the chat template above."""
    vocab = {token: i for i, token in enumerate(SPECIALS)}
    for text in texts:
        for word in _words(text):
            vocab.setdefault(word, len(vocab))
    model = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab, unk_token="[UNK]"))
    model.pre_tokenizer = tokenizers.pre_tokenizers.Sequence([
        tokenizers.pre_tokenizers.WhitespaceSplit(),
        tokenizers.pre_tokenizers.Split(tokenizers.Regex(r"<\|\w+\|>|\w+|[^\w\s]"), behavior="isolated")])
    fast = transformers.PreTrainedTokenizerFast(tokenizer_object=model, unk_token="[UNK]", pad_token="[PAD]",
                                                eos_token="<|end|>")
    fast.chat_template = CHAT_TEMPLATE
    return fast


def _texts(rows: list[dict], *columns: str) -> list[str]:
    return [message["content"] for row in rows for column in columns for message in row[column]]


def _sft_rows() -> list[dict]:
    rows = split_tables(quickstart_raw())["sft"].to_pylist()
    assert any(row["turn"] > 0 for row in rows) and any(row["turn"] == 0 for row in rows)
    return rows


def test_sft_rows_are_trl_conversational_prompt_completion():
    rows = _sft_rows()
    tokenizer = _tokenizer(_texts(rows, "prompt", "completion"))
    for row in rows:
        example = {"prompt": row["prompt"], "completion": row["completion"]}
        assert is_conversational(example)
        rendered = apply_chat_template(example, tokenizer)
        answer = row["completion"][0]["content"]
        # The completion TRL trains on is the accepted answer alone; feedback and earlier attempts are prompt.
        assert answer in rendered["completion"] and answer not in rendered["prompt"]
        assert rendered["prompt"].endswith("<|assistant|> ")
        if row["turn"] > 0:
            assert "<|assistant|>" in rendered["prompt"][:-len("<|assistant|> ")]


def test_sft_trainer_trains_on_the_accepted_answer_only(tmp_path):
    rows = _sft_rows()
    refined = [row for row in rows if row["turn"] > 0][:2]
    first = [row for row in rows if row["turn"] == 0][:2]
    examples = [{"prompt": row["prompt"], "completion": row["completion"]} for row in first + refined]
    tokenizer = _tokenizer(_texts(first + refined, "prompt", "completion"))
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(
        vocab_size=len(tokenizer), n_positions=32768, n_embd=16, n_layer=1, n_head=2))
    config = trl.SFTConfig(output_dir=str(tmp_path), max_length=None, report_to=[], use_cpu=True,
                           completion_only_loss=True, dataset_num_proc=None)
    trainer = trl.SFTTrainer(model=model, args=config, processing_class=tokenizer,
                             train_dataset=datasets.Dataset.from_list(examples))
    for example, prepared in zip(examples, trainer.train_dataset):
        # TRL folds its completion mask into the labels: -100 marks a token the loss leaves out.
        trained = [label for label in prepared["labels"] if label != -100]
        answer = tokenizer(example["completion"][0]["content"], add_special_tokens=False)["input_ids"]
        # What the loss sees is the answer (and the end-of-turn token the template closes it with), nothing
        # of the prompt: not the task, not the feedback, not a rejected earlier attempt.
        assert trained[:len(answer)] == answer
        assert len(trained) - len(answer) <= 2


def test_preference_rows_are_trl_conversational_preference():
    rows = split_tables(quickstart_raw())["preference"].to_pylist()
    assert rows
    tokenizer = _tokenizer(_texts(rows, "prompt", "chosen", "rejected"))
    for row in rows:
        example = {"prompt": row["prompt"], "chosen": row["chosen"], "rejected": row["rejected"]}
        assert is_conversational(example)
        rendered = apply_chat_template(example, tokenizer)
        assert set(rendered) == {"prompt", "chosen", "rejected"}
        assert row["chosen"][0]["content"] in rendered["chosen"]
        assert row["rejected"][0]["content"] in rendered["rejected"]
        assert rendered["chosen"] != rendered["rejected"]

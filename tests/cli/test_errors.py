"""An error raised in a DataLoader worker process reaches the user as its own one line."""

import pytest
from torch.utils.data import DataLoader, Dataset

from lightnets.cli import user_message
from lightnets.data import DataError


class Unreadable(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        raise DataError(f"cannot read image /data/{i}.png: truncated file")


def test_an_error_from_a_worker_process_is_shown_without_the_workers_traceback():
    with pytest.raises(DataError) as caught:
        next(iter(DataLoader(Unreadable(), num_workers=1)))
    assert "Original Traceback" in str(caught.value)  # what torch re-raises in the main process
    assert user_message(caught.value) == "cannot read image /data/0.png: truncated file"
    assert user_message(DataError("plain message")) == "plain message"
